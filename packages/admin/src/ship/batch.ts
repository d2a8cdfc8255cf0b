// One PutLogEvents call's worth of lines, within CloudWatch Logs' limits: at most
// 1,048,576 bytes (each event's UTF-8 message plus 26), 10,000 events, a span of less
// than 24 hours, in chronological order. Each event's timestamp is its line's own `time`
// (the shell's ISO 8601, pino's epoch milliseconds), never earlier than the event before
// it in the stream (so the stream keeps the file's order), and kept within what
// CloudWatch accepts (no more than 14 days old, not in the future).
export const MAX_BATCH_BYTES = 1_048_576
export const EVENT_OVERHEAD = 26
export const MAX_EVENTS = 10_000
export const MAX_SPAN_MS = 24 * 3_600_000 - 1
// The largest message: an event is at most 256 KiB with its overhead.
export const MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD
const MAX_AGE_MS = 14 * 86_400_000 - 3_600_000
const MAX_AHEAD_MS = 60_000

export interface LogEventIn {
  timestamp: number
  message: string
}

// The line's own time, in epoch milliseconds, when it has one.
export function lineTime (text: string): number | undefined {
  let time: unknown
  try {
    time = (JSON.parse(text) as { time?: unknown } | null)?.time
  } catch {
    return undefined
  }
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN
  return Number.isFinite(ms) ? ms : undefined
}

// The timestamp of the event after one at `last` (0: none yet).
export function eventTime (text: string, last: number, now: number): number {
  const own = lineTime(text) ?? (last > 0 ? last : now)
  return Math.max(last, Math.min(Math.max(own, now - MAX_AGE_MS), now + MAX_AHEAD_MS))
}

export class Batch {
  readonly events: LogEventIn[] = []
  bytes = 0
  // The offset after the last line taken (skipped lines count): where the cursor goes.
  end: number
  constructor (start: number) {
    this.end = start
  }

  // Whether the event fits; the caller then adds it or sends the batch first.
  fits (event: LogEventIn): boolean {
    if (this.events.length === 0) return true
    const first = this.events[0] as LogEventIn
    return this.events.length < MAX_EVENTS &&
      this.bytes + Buffer.byteLength(event.message) + EVENT_OVERHEAD <= MAX_BATCH_BYTES &&
      event.timestamp - first.timestamp <= MAX_SPAN_MS
  }

  add (event: LogEventIn, end: number): void {
    this.events.push(event)
    this.bytes += Buffer.byteLength(event.message) + EVENT_OVERHEAD
    this.end = end
  }

  // A line not sent (empty, too long) still moves the cursor past it.
  skip (end: number): void {
    this.end = end
  }
}
