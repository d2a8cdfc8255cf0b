// Reading one CloudWatch Logs group as `bastion audit` reads a file: every event whose
// message mentions the needle, parsed as JSON, page after page (nextToken). Throttling
// and 5xx answers are retried with capped exponential backoff and jitter; a missing
// group or a call that keeps failing becomes a warning, like a missing file. Access
// denied is an error naming the permission: an auditor must not take a timeline with a
// silently missing trail for a complete one.
import { AdminError } from '../cli-errors.ts'
import type { JsonLine, Warnings } from './log-files.ts'
import { lineCount } from './log-files.ts'
import { LogsCallError, type FilterQuery, type LogsApi } from './logs-api.ts'

// What to read: FilterLogEvents' query without its paging.
export type GroupQuery = Omit<FilterQuery, 'limit' | 'nextToken'>

export interface ReadSettings {
  pageSize: number
  maxAttempts: number
  timeoutMs: number
}

// Told of each page fetched (the command draws a progress line on a terminal).
export interface PageProgress {
  page (what: string, pages: number, events: number): void
}

export interface ReadDeps {
  api: LogsApi
  settings: ReadSettings
  progress?: PageProgress
  sleep?: (ms: number) => Promise<void>
  random?: () => number
}

// A line from a log group: its origin names region, group and stream; host is the stream.
// message is the event's text as it was shipped (a line of a host's log, unchanged).
export interface GroupLine extends JsonLine {
  stream: string
  message: string
}

const RETRIED = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'ServiceUnavailableException', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout'])
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnrecognizedClientException'])
const BACKOFF_BASE_MS = 200
const BACKOFF_CAP_MS = 5000

export const groupOrigin = (region: string, group: string, stream: string): string => `cloudwatch:${region}:${group}:${stream}`

// A JSON filter pattern's string value: "johnsmith". Names are checked before they get
// here (login names, role names), so a quote or backslash is refused rather than escaped.
export function quoted (value: string): string {
  if (/["\\]/.test(value)) throw new Error(`cannot put ${JSON.stringify(value)} into a filter pattern`)
  return `"${value}"`
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function deniedError (q: GroupQuery, cause: LogsCallError): AdminError {
  return new AdminError('BASTION_ADMIN_AUDIT_CLOUDWATCH_DENIED',
    `CloudWatch Logs refused FilterLogEvents on log group ${q.logGroupName} in ${q.region} (${cause.code}: ${cause.message}): ` +
    `the identity running bastion audit needs logs:FilterLogEvents on arn:aws:logs:${q.region}:<account>:log-group:${q.logGroupName}:*`, { cause })
}

// state.found turns true once the group answered at all.
export async function * groupLines (deps: ReadDeps, q: GroupQuery, needle: string | readonly string[], warnings: Warnings, what: string, state: { found: boolean }): AsyncGenerator<GroupLine> {
  const needles = typeof needle === 'string' ? [needle] : needle
  const sleep = deps.sleep ?? sleepMs
  const random = deps.random ?? Math.random
  const { pageSize, maxAttempts, timeoutMs } = deps.settings
  const lineNo = new Map<string, number>()
  const bad = new Map<string, number[]>()
  let nextToken: string | undefined
  let pages = 0
  let events = 0
  try {
    do {
      const query: FilterQuery = { ...q, limit: pageSize, ...(nextToken !== undefined ? { nextToken } : {}) }
      let page
      for (let attempt = 1; ; attempt++) {
        try {
          page = await deps.api.filterLogEvents(query, AbortSignal.timeout(timeoutMs))
          break
        } catch (err) {
          const e = err instanceof LogsCallError ? err : new LogsCallError((err as Error).name, (err as Error).message, undefined)
          if (DENIED.has(e.code) || e.status === 403) throw deniedError(q, e)
          if (e.code === 'ResourceNotFoundException') {
            warnings.add(`${what}: log group ${q.logGroupName} does not exist in ${q.region}: nothing from there`)
            return
          }
          const retried = RETRIED.has(e.code) || (e.status !== undefined && e.status >= 500)
          if (!retried || attempt >= maxAttempts) {
            throw new Error(`${e.code}: ${e.message}${retried ? ` (after ${attempt} attempts)` : ''}`, { cause: err })
          }
          await sleep(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * (0.5 + random() / 2))
        }
      }
      state.found = true
      pages++
      events += page.events.length
      deps.progress?.page(what, pages, events)
      for (const e of page.events) {
        const n = (lineNo.get(e.logStreamName) ?? 0) + 1
        lineNo.set(e.logStreamName, n)
        if (!needles.some((n) => e.message.includes(n))) continue
        const file = groupOrigin(q.region, q.logGroupName, e.logStreamName)
        let value: unknown
        try {
          value = JSON.parse(e.message)
        } catch {
          bad.set(file, [...(bad.get(file) ?? []), n])
          continue
        }
        yield { file, line: n, value, stream: e.logStreamName, message: e.message }
      }
      nextToken = page.nextToken
    } while (nextToken !== undefined)
  } catch (err) {
    if (err instanceof AdminError) throw err
    warnings.add(`${what}: cannot read log group ${q.logGroupName} in ${q.region} (${(err as Error).message}) after ${events} events: the rest of it is left out`)
  } finally {
    for (const [file, lines] of bad) warnings.add(`${what}: ${file}: ${lineCount(lines)} skipped, not valid JSON`)
  }
}
