// --since / --until: an ISO 8601 date or time ("2026-11-26", "2026-11-26T20:00:00Z"), or
// a span back from now ("90m", "12h", "7d", "2w").
const SPAN = /^(\d+)\s*(s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

// The time as ISO 8601 (UTC, milliseconds), or undefined when the text is neither form.
export function parseTimeArg (text: string, nowMs: number): string | undefined {
  const span = SPAN.exec(text.trim())
  if (span !== null) return new Date(nowMs - Number(span[1]) * (UNIT_MS[span[2] as string] as number)).toISOString()
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}

export interface TimeRange {
  since?: string
  until?: string
}

export const inRange = (time: string, range: TimeRange): boolean =>
  (range.since === undefined || time >= range.since) && (range.until === undefined || time <= range.until)
