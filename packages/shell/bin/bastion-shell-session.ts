#!/usr/bin/env node
// The root-side entry of bastion-shell, started only through the fixed sudoers rule
// (see packages/shell/host). Arguments are what sshd gave the login shell: nothing for
// an interactive login, or `-c COMMAND` for commands, scp, sftp and rsync. As root and
// outside sudo, `gc` removes idle containers.
//
// Every login starts a fresh Node, so this file does one thing before loading the
// runner: it turns on V8's code cache, in a directory only root writes, so that the
// runner's modules are not compiled again at each login.
import { enableCompileCache } from 'node:module'

if (process.getuid?.() === 0) enableCompileCache('/var/cache/bastion/node-compile-cache')
const { run } = await import('../src/runner.ts')
run()
