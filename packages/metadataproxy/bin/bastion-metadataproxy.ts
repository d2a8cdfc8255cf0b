#!/usr/bin/env node
// bastion-metadataproxy: the command line. `serve` (the default) runs the proxy; the
// `iptables` subcommands manage the fail-closed rules; `config check` validates a file.
import { Command } from 'commander'
import { packageVersion } from '@bastion/config/version'
import { configPath, loadConfig } from '../src/config/load.ts'
import { isBastionError } from '../src/errors.ts'
import { checkRules, execaRunner, installRules, removeRules } from '../src/iptables/iptables.ts'
import { checkBackend } from '../src/iptables/backend.ts'
import { ruleOptions, serve } from '../src/main.ts'
import { createLogger } from '../src/log.ts'
import { anyIdLookup } from '../src/iptables/host-ids.ts'

const program = new Command()
program
  .name('bastion-metadataproxy')
  .description('Per-container EC2 instance metadata (IMDS) with STS AssumeRole credentials, fail-closed.')
  .option('-c, --config <path>', 'config file (default: $BASTION_CONFIG or /etc/bastion/bastion.yaml)')
  .version(`bastion-metadataproxy ${packageVersion(import.meta.url)}`, '-V, --version', 'print the version and exit')
  .showHelpAfterError()

const load = async () => loadConfig(configPath(program.opts<{ config?: string }>().config, process.env))

program.command('serve', { isDefault: true })
  .description('run the proxy (refuses to start unless the iptables rules are in place)')
  .action(async () => {
    const config = await load()
    const log = createLogger(config.metadataproxy.log.level)
    const server = await serve(config, log)
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      log.info({ signal }, 'shutting down')
      server.close().then(() => process.exit(0), () => process.exit(1))
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })

const iptables = program.command('iptables').description('manage the iptables rules that send containers\' IMDS traffic to the proxy and reject it when the proxy is down')
iptables.command('install').description('add what is missing and move back what is bypassed (idempotent); refuses when Docker uses the other iptables backend').action(async () => {
  const config = await load()
  await checkBackend({ runner: execaRunner() })
  const { changed } = await installRules(execaRunner(), ruleOptions(config))
  console.log(changed.length === 0 ? 'iptables: all rules already in place' : changed.join('\n'))
})
iptables.command('check').description('list missing, bypassed and foreign rules; exits 1 when there is any').action(async () => {
  const config = await load()
  await checkBackend({ runner: execaRunner() })
  const result = await checkRules(execaRunner(), ruleOptions(config))
  if (result.ok) {
    console.log('iptables: all rules in place')
  } else {
    console.log([...result.missing.map((m) => `missing: ${m}`), ...result.bypassed.map((m) => `bypassed: ${m}`), ...result.foreign.map((m) => `foreign: ${m}`)].join('\n'))
    process.exitCode = 1
  }
})
iptables.command('remove').description('remove our rules and chains (idempotent); containers then have no IMDS at all').action(async () => {
  const { changed } = await removeRules(execaRunner(), ruleOptions(await load(), undefined, anyIdLookup))
  console.log(changed.length === 0 ? 'iptables: nothing to remove' : changed.map((c) => `removed: ${c}`).join('\n'))
})
program.command('config').description('configuration').command('check').description('validate the config file and print it with defaults applied').action(async () => {
  console.log(JSON.stringify(await load(), null, 2))
})

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isBastionError(err)) {
    console.error(`bastion-metadataproxy: ${err.message} [${err.code}]`)
  } else {
    console.error(`bastion-metadataproxy: unexpected error: ${(err as Error).stack ?? String(err)}`)
  }
  process.exit(2)
})
