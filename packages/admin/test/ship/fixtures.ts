// The shipper's unit tests' world: a temporary directory of real log files, and a fake
// CloudWatch Logs that keeps what it is sent per stream, holds every call to PutLogEvents'
// rules (order, size, count, span) and fails the calls a test picks.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogsCallError } from '../../src/audit/logs-api.ts'
import { EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_EVENTS, MAX_SPAN_MS, type LogEventIn } from '../../src/ship/batch.ts'
import type { LogsWriter, Rejected } from '../../src/ship/logs-writer.ts'
import type { LogTarget, ShipLog } from '../../src/ship/ship-log.ts'

export function tempDir (t: { teardown (fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-ship-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Call { call: 'put' | 'create', group: string, stream: string, events: number }

export class FakeLogs implements LogsWriter {
  groups = new Set<string>()
  streams = new Map<string, LogEventIn[]>()
  calls: Call[] = []
  // A call's failure, before (or, with after: true, after) it is taken.
  fail: (c: Call, n: number) => { error: LogsCallError, after?: boolean } | undefined = () => undefined
  reject: (events: LogEventIn[]) => Rejected = () => ({ tooNew: 0, tooOld: 0 })

  constructor (...groups: string[]) {
    for (const g of groups) this.groups.add(g)
  }

  lines (group: string, stream: string): string[] {
    return (this.streams.get(`${group}:${stream}`) ?? []).map((e) => e.message)
  }

  async putLogEvents (group: string, stream: string, events: LogEventIn[]): Promise<Rejected> {
    const c: Call = { call: 'put', group, stream, events: events.length }
    this.calls.push(c)
    const f = this.fail(c, this.calls.length)
    if (f !== undefined && f.after !== true) throw f.error
    if (!this.groups.has(group)) throw new LogsCallError('ResourceNotFoundException', 'The specified log group does not exist.', 400)
    const s = this.streams.get(`${group}:${stream}`)
    if (s === undefined) throw new LogsCallError('ResourceNotFoundException', 'The specified log stream does not exist.', 400)
    if (events.length === 0 || events.length > MAX_EVENTS) throw new LogsCallError('InvalidParameterException', `${events.length} events`, 400)
    const bytes = events.reduce((n, e) => n + Buffer.byteLength(e.message) + EVENT_OVERHEAD, 0)
    if (bytes > MAX_BATCH_BYTES) throw new LogsCallError('InvalidParameterException', `${bytes} bytes`, 400)
    for (let i = 1; i < events.length; i++) {
      if ((events[i] as LogEventIn).timestamp < (events[i - 1] as LogEventIn).timestamp) throw new LogsCallError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.', 400)
    }
    if ((events[events.length - 1] as LogEventIn).timestamp - (events[0] as LogEventIn).timestamp > MAX_SPAN_MS) throw new LogsCallError('InvalidParameterException', 'spans more than 24 hours', 400)
    const rejected = this.reject(events)
    s.push(...events.slice(rejected.tooOld, events.length - rejected.tooNew))
    if (f !== undefined) throw f.error
    return rejected
  }

  async createLogStream (group: string, stream: string): Promise<void> {
    const c: Call = { call: 'create', group, stream, events: 0 }
    this.calls.push(c)
    const f = this.fail(c, this.calls.length)
    if (f !== undefined) throw f.error
    if (!this.groups.has(group)) throw new LogsCallError('ResourceNotFoundException', 'The specified log group does not exist.', 400)
    if (!this.streams.has(`${group}:${stream}`)) this.streams.set(`${group}:${stream}`, [])
  }
}

export function memoryLog (): ShipLog & { lines: string[] } {
  const lines: string[] = []
  return { lines, info: (m) => { lines.push(`info: ${m}`) }, warn: (m) => { lines.push(`warn: ${m}`) } }
}

export const target = (dir: string, file = join(dir, 'sessions.jsonl')): LogTarget =>
  ({ kind: 'sessions', file, group: '/bastion/sessions', stream: 'bastion-a', stateDir: join(dir, 'state') })

// A session log line of the given time.
export const line = (n: number, time = Date.UTC(2026, 11, 7, 8, 0, 0) + n * 1000, extra = ''): string =>
  JSON.stringify({ event: 'session-start', time: new Date(time).toISOString(), user: 'alice', session: `s${n}`, pad: extra })

// A short line (pino's epoch milliseconds), for tests of many lines.
export const short = (n: number, time: number): string => JSON.stringify({ time, n })

export const text = (lines: string[]): string => lines.map((l) => l + '\n').join('')
