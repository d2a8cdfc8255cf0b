#!/usr/bin/env node
// The root side of bastion-shell (see docs/shell/README.md):
//   serve   the session broker that every login shell connects to (systemd unit
//           bastion-shell-broker.service), with its pre-forked session workers
//   gc      remove containers idle past shell.gcIdleSeconds (the systemd timer)
// V8's code cache lives in a directory only root writes, so that workers forked at
// every login do not compile the same modules again.
import { enableCompileCache } from 'node:module'

if (process.getuid?.() === 0) enableCompileCache('/var/cache/bastion/node-compile-cache')
const { run } = await import('../src/broker/cli.ts')
run(process.argv.slice(2))
