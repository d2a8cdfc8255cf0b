// The running proxy's guard over its own rules: every interval it reads the tables, and
// on any drift (a jump deleted, a rule put ahead of ours, our chains flushed, Docker's
// FORWARD jump gone) it repairs at once with the same code as `iptables install`. It
// logs what it found and what it did, counts repairs, and reports not ready from the
// moment drift is seen until a check finds none.
import type { Logger } from 'pino'
import type { RuleSet } from './rules.ts'
import type { CommandRunner } from './command.ts'
import { repairRules } from './iptables.ts'

export interface RuleState {
  ok: boolean
  /** What is wrong right now; empty when ok. */
  drift: string[]
}

export interface RuleWatch {
  state (): RuleState
  /** Checks that changed something, since the start. */
  repairs (): number
  /** One check (and repair when needed) now; the timer's own ticks call the same. */
  tick (): Promise<RuleState>
  stop (): void
}

export interface WatchOptions {
  runner: CommandRunner
  set: RuleSet
  intervalMs: number
  log: Logger
}

export function watchRules (opts: WatchOptions): RuleWatch {
  let state: RuleState = { ok: true, drift: [] }
  let timer: NodeJS.Timeout | undefined
  let running: Promise<RuleState> | undefined
  let stopped = false
  let repairs = 0
  let checks = 0
  const controller = new AbortController()

  const once = async (): Promise<RuleState> => {
    // Numbered, so that a log shows which check found the drift and which repaired it.
    const check = ++checks
    opts.log.debug({ check }, 'iptables check')
    try {
      const r = await repairRules(opts.runner, opts.set, controller.signal)
      if (r.found.length > 0) {
        // Not ready for as long as we know of drift, even within this one check.
        state = { ok: false, drift: r.found }
        opts.log.warn({ check, found: r.found }, 'iptables drift found')
      }
      if (r.did.length > 0) {
        repairs++
        opts.log.warn({ check, did: r.did }, 'iptables rules repaired')
      }
      if (r.remaining.length > 0) opts.log.error({ check, remaining: r.remaining }, 'iptables rules still drift after a repair')
      state = { ok: r.remaining.length === 0, drift: r.remaining }
    } catch (err) {
      if (stopped) return state
      state = { ok: false, drift: [`the iptables check failed: ${(err as Error).message}`] }
      opts.log.error({ check, err }, 'iptables check failed')
    }
    return state
  }

  const tick = (): Promise<RuleState> => {
    running ??= once().finally(() => { running = undefined })
    return running
  }

  const schedule = (): void => {
    if (stopped) return
    timer = setTimeout(() => { void tick().finally(schedule) }, opts.intervalMs)
    timer.unref()
  }
  schedule()

  return {
    state: () => state,
    repairs: () => repairs,
    tick,
    stop () {
      stopped = true
      clearTimeout(timer)
      controller.abort(new Error('stopped'))
    }
  }
}
