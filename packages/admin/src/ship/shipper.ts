// `bastion ship`'s loop: every ship.intervalMs, each log (sessions, credentials, the
// recordings index) is shipped from its cursor, and status.json is written for doctor.
// A log whose call failed waits before it is tried again (exponential backoff with
// jitter, capped at 30 s; a minute after AccessDenied or a missing log group), forever:
// the lines wait on disk, and the other logs go on. Stopped (SIGTERM), it starts no
// new call, lets the one in flight end, saves the cursor and returns.
import { LogsCallError } from '../audit/logs-api.ts'
import type { Kind, ShipSettings } from './config.ts'
import { loadCursor, stateDirectory, type Cursor } from './cursor.ts'
import { shipLog, type LogDeps, type LogPass, type LogTarget } from './ship-log.ts'
import { writeStatus, type CallFailure, type RecordingsStatus, type ShipStatus, type SourceStatus } from './status.ts'

export interface ShipDeps extends LogDeps {
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  random: () => number
  pid: number
  // The recordings step, run at the start of every pass: uploads new recordings to S3
  // and appends their lines to <stateDir>/recordings-index.jsonl, which this loop then
  // ships like the other logs. Its failures are its own to report; they never stop
  // the logs. Wired by the command (commands/ship.ts) when ship.recordings.bucket is set.
  // It returns its status for status.json (and doctor).
  recordings?: (signal: AbortSignal) => Promise<RecordingsStatus>
}

export interface ShipRun {
  once: boolean // ship what is there, then return
  signal: AbortSignal
  maxBatches?: number // calls per log and pass
}

export interface ShipOutcome {
  complete: boolean // every log shipped to its end (--once), or stopped cleanly
  lastError: (CallFailure & { kind: Kind }) | null
}

const BASE_MS = 500
const CAP_MS = 30_000
const SLOW_MS = 60_000
const LOCAL = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EISDIR', 'EIO', 'EMFILE'])
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnrecognizedClientException'])

export const denied = (e: LogsCallError): boolean => DENIED.has(e.code) || e.status === 403

// How long a log waits after its `failures`-th failure in a row.
export function retryDelay (e: LogsCallError, failures: number, random: () => number): number {
  if (denied(e) || e.code === 'ResourceNotFoundException') return SLOW_MS
  return Math.min(CAP_MS, BASE_MS * 2 ** Math.min(failures - 1, 16)) * (0.5 + random() / 2)
}

// A failure on this host (a log or the state directory unreadable or full), as a pass
// that failed: the log waits and is tried again, the others go on.
function local (err: unknown, last: LogPass | null): LogPass {
  const e = err as NodeJS.ErrnoException
  return { sent: 0, more: false, error: new LogsCallError(e.code ?? e.name, e.message, undefined), backlog: last?.backlog ?? { bytes: 0, oldest: null, files: [] } }
}

// The failure as the operator reads it: what was refused, and the fix where there is one.
export function describeFailure (e: LogsCallError, group: string, stream: string, region: string): string {
  const said = `${e.code}: ${e.message}`.replace(/\s+/g, ' ').slice(0, 400)
  if (denied(e)) {
    return `CloudWatch Logs refused to take the lines into ${group} (${said}): the host's role needs logs:PutLogEvents and logs:CreateLogStream on arn:aws:logs:${region}:<account>:log-group:${group}:*`
  }
  if (e.code === 'ResourceNotFoundException') {
    return `the log group ${group} (or its stream ${stream}) does not exist in ${region} (${said}): create the group (aws logs create-log-group --log-group-name ${group}, or in CloudFormation); bastion ship makes only its stream`
  }
  if (e.status === undefined && LOCAL.has(e.code)) return `cannot read the log or keep its cursor on this host (${said}): retried with backoff`
  return `CloudWatch Logs did not take the lines into ${group} (${said}${e.status !== undefined ? `, HTTP ${e.status}` : ''}): retried with backoff, the lines wait on disk`
}

interface LogState {
  target: LogTarget | null
  source: ShipSettings['sources'][number]
  cursor: Cursor | null
  failures: number
  retryAt: number
  error: CallFailure | null
  lastSuccessAt: string | null
  last: LogPass | null
}

export async function runShipper (settings: ShipSettings, deps: ShipDeps, run: ShipRun): Promise<ShipOutcome> {
  await stateDirectory(settings.stateDir)
  const logs: LogState[] = []
  for (const source of settings.sources) {
    const target = source.file === null ? null : { ...source, file: source.file, stream: settings.host, stateDir: settings.stateDir }
    const state: LogState = { target, source, cursor: null, failures: 0, retryAt: 0, error: null, lastSuccessAt: null, last: null }
    if (target !== null) {
      const { cursor, note } = await loadCursor(settings.stateDir, source.kind, target.file)
      if (note !== undefined) deps.log.warn(`${source.kind}: ${note}`)
      state.cursor = cursor
    }
    logs.push(state)
  }
  let lastSuccessAt: string | null = null
  let lastError: ShipOutcome['lastError'] = null
  let recordings: RecordingsStatus | undefined
  const stop = (): boolean => run.signal.aborted
  for (;;) {
    let recordingsFailed = false
    if (deps.recordings !== undefined) {
      try {
        recordings = await deps.recordings(run.signal)
        recordingsFailed = recordings.failed > 0 || recordings.backlogFiles > 0
      } catch (err) {
        recordingsFailed = true
        deps.log.warn(`recordings: ${(err as Error).message}`)
      }
    }
    let more = false
    let failed = false
    for (const s of logs) {
      if (s.target === null || s.cursor === null || deps.now() < s.retryAt || stop()) continue
      const pass = await shipLog(s.target, s.cursor, deps, { maxBatches: run.maxBatches ?? 20, stop }).catch((err: unknown) => local(err, s.last))
      s.last = pass
      more ||= pass.more
      if (pass.error !== undefined) {
        failed = true
        s.failures++
        s.retryAt = deps.now() + retryDelay(pass.error, s.failures, deps.random)
        s.error = { code: pass.error.code, message: describeFailure(pass.error, s.target.group, s.target.stream, settings.region), at: new Date(deps.now()).toISOString() }
        lastError = { ...s.error, kind: s.target.kind }
        deps.log.warn(`${s.target.kind}: ${s.error.message} (failure ${s.failures} in a row; next try in ${Math.round((s.retryAt - deps.now()) / 1000)} s)`)
      } else {
        if (s.failures > 0) deps.log.info(`${s.target.kind}: CloudWatch Logs takes the lines again`)
        s.failures = 0
        s.error = null
      }
      if (pass.sent > 0) {
        s.lastSuccessAt = new Date(deps.now()).toISOString()
        lastSuccessAt = s.lastSuccessAt
      }
    }
    await writeStatus(settings.stateDir, { ...status(settings, deps.pid, deps.now(), logs, lastSuccessAt, lastError), ...(recordings !== undefined ? { recordings } : {}) })
    if (stop()) return { complete: true, lastError }
    if (run.once && (failed || !more)) return { complete: !failed && !recordingsFailed, lastError }
    if (more) continue
    const next = Math.min(...logs.map((s) => s.retryAt).filter((t) => t > deps.now()), deps.now() + settings.intervalMs)
    await deps.sleep(Math.max(0, Math.min(settings.intervalMs, next - deps.now())), run.signal)
  }
}

function status (settings: ShipSettings, pid: number, now: number, logs: LogState[], lastSuccessAt: string | null, lastError: ShipOutcome['lastError']): ShipStatus {
  const sources = logs.map((s): SourceStatus => {
    const c = s.cursor
    const zero = { count: 0, lastAt: null, detail: null }
    return {
      kind: s.source.kind,
      file: s.source.file,
      group: s.source.group,
      stream: settings.host,
      shipped: c?.shipped ?? 0,
      lastSuccessAt: s.lastSuccessAt,
      backlogBytes: s.last?.backlog.bytes ?? 0,
      oldestUnshipped: s.last?.backlog.oldest === null || s.last === null ? null : new Date(s.last.backlog.oldest).toISOString(),
      files: s.last?.backlog.files ?? [],
      oversized: c?.oversized ?? zero,
      rejected: c?.rejected ?? zero,
      lost: c?.lost ?? zero,
      error: s.error
    }
  })
  return { version: 1, host: settings.host, region: settings.region, pid, updatedAt: new Date(now).toISOString(), intervalMs: settings.intervalMs, lastSuccessAt, lastError, sources }
}
