// `bastion ship`: the bastion's own audit logs to CloudWatch Logs (docs/admin/audit.md,
// "Shipping"). Runs as bastion-ship.service; --once ships what is there and exits.
import type { Command } from 'commander'
import { ConfigProblem, configPath } from '@bastion/config'
import { loadShipConfig, shipSettings, type ShipConfig } from '../ship/config.ts'
import { shipError } from '../ship/errors.ts'
import { awsWriter } from '../ship/logs-writer.ts'
import { runShipper, type ShipDeps } from '../ship/shipper.ts'
import { recordingsStep } from '../ship/recordings-step.ts'

interface ShipOptions { once?: boolean }

export function register (program: Command): void {
  program.command('ship')
    .description('ship the session log, the proxy\'s credential log and the index of recordings to CloudWatch Logs, one group per kind, one stream per host')
    .option('--once', 'ship what is there and exit (status 1 when a call failed: the rest is shipped by the next run)')
    .addHelpText('after', '\nWithout --once it runs until SIGTERM, looking for new lines every ship.intervalMs; bastion-ship.service runs it so.\n' +
      'A cursor per log in ship.stateDir says what CloudWatch acknowledged: nothing is lost across a restart or an outage, and a line may be sent twice (bastion audit shows it once).\n' +
      'Progress and problems go to stderr; <ship.stateDir>/status.json is what bastion doctor reads. AWS credentials: the default chain (the host\'s instance role).')
    .action(async (opts: ShipOptions, cmd: Command) => {
      let config: Readonly<ShipConfig>
      try {
        config = await loadShipConfig(configPath(cmd.optsWithGlobals<{ config?: string }>().config, process.env))
      } catch (err) {
        throw shipError('BASTION_ADMIN_SHIP_CONFIG_INVALID', (err as Error).message, err instanceof ConfigProblem ? undefined : err)
      }
      if (!config.ship.enabled) throw shipError('BASTION_ADMIN_SHIP_DISABLED', 'ship.enabled is false in the config: set it to true to ship this host\'s logs (Chef then enables bastion-ship.service)')
      const controller = new AbortController()
      const onSignal = (): void => { controller.abort() }
      process.once('SIGTERM', onSignal)
      process.once('SIGINT', onSignal)
      const settings = shipSettings(config)
      const log = (level: string) => (message: string): void => { process.stderr.write(`bastion ship: ${level}${message}\n`) }
      const deps: ShipDeps = {
        writer: awsWriter({ region: settings.region, endpoint: settings.endpoint }),
        now: Date.now,
        log: { info: log(''), warn: log('warning: ') },
        sleep: abortableSleep,
        random: Math.random,
        pid: process.pid,
        ...(config.ship.recordings.bucket !== undefined ? { recordings: recordingsStep(config, settings, config.ship.recordings.bucket, log) } : {})
      }
      log('')(`shipping to CloudWatch Logs in ${settings.region} as stream ${settings.host}: ${settings.sources.map((s) => `${s.kind} ${s.file ?? '(no file configured)'} -> ${s.group}`).join(', ')}`)
      let outcome
      try {
        outcome = await runShipper(settings, deps, { once: opts.once === true, signal: controller.signal })
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC' || e.code === 'EPERM') {
          throw shipError('BASTION_ADMIN_SHIP_STATE_UNWRITABLE', `cannot keep the cursors in ${settings.stateDir} (${e.message}): run it as root, with ship.stateDir on a writable disk`, err)
        }
        throw err
      } finally {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
      }
      if (!outcome.complete) {
        throw shipError('BASTION_ADMIN_SHIP_INCOMPLETE', `not every line was shipped: ${outcome.lastError?.kind ?? ''}: ${outcome.lastError?.message ?? 'a call failed'}`)
      }
      if (controller.signal.aborted) log('')('stopped: the cursors are saved')
    })
}

function abortableSleep (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return }
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}
