// The user's ssh sessions from the login shell's session log (packages/shell/src/audit.ts
// writes one JSON line at each session's start and end).
import { hostname } from 'node:os'
import { type SshEntry, isoTime, num, obj, str } from './entries.ts'
import { jsonLines, skippedRecords, type JsonLine, type Warnings } from './log-files.ts'

// file: a log file (with its rotated copies), or lines already read (from a log group);
// host: whose log it is, unless a line names its own (a log group's stream).
export async function sessionEntries (file: string | AsyncIterable<JsonLine>, user: string, warnings: Warnings, host = hostname()): Promise<SshEntry[]> {
  const entries: SshEntry[] = []
  const seen = new Set<string>()
  const malformed = skippedRecords(warnings, 'ssh sessions', user, 'a session record')
  for await (const { file: f, line, value, stream } of typeof file === 'string' ? jsonLines(file, user, warnings, 'ssh sessions') : file) {
    const v = obj(value)
    if (v === undefined || v.user !== user) continue
    const event = v.event === 'session-start' ? 'start' : v.event === 'session-end' ? 'end' : undefined
    const time = isoTime(v.time)
    const session = str(v.session)
    const container = str(v.container)
    if (event === undefined || time === undefined || session === undefined || container === undefined) {
      malformed.add(f, line)
      continue
    }
    // A line seen twice (a copytruncate rotation repeats the tail) counts once.
    const from = stream ?? host
    const key = `${from}/${session}/${event}`
    if (seen.has(key)) continue
    seen.add(key)
    const src = obj(v.source)
    const entry: SshEntry = {
      kind: 'ssh',
      time,
      origin: { file: f, line },
      host: from,
      event,
      session,
      source: src !== undefined && str(src.ip) !== undefined ? `${str(src.ip)}:${num(src.port) ?? '?'}` : null,
      container,
      command: str(v.command) ?? null,
      tty: v.tty === true,
      recording: str(v.recording) ?? null
    }
    const exitCode = num(v.exitCode)
    const durationMs = num(v.durationMs)
    const reason = str(v.reason)
    if (exitCode !== undefined) entry.exitCode = exitCode
    if (durationMs !== undefined) entry.durationMs = durationMs
    if (reason !== undefined) entry.reason = reason
    const statedReason = str(v.statedReason)
    if (statedReason !== undefined) entry.statedReason = statedReason
    entries.push(entry)
  }
  malformed.report()
  return entries
}
