// How large a new session's recording may grow: the per-session cap, or what is left
// of the user's cap over all their recordings, whichever is smaller. Counted from the
// files in the user's recordings directory when the session starts, so sessions that
// run at the same time may together pass the user's cap by at most one session cap
// each (docs/shell/README.md, "Recordings").
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShellConfig } from '../config/schema.ts'

export interface RecordingBudget {
  maxBytes: number
  scope: 'session' | 'user'
}

export async function recordingBudget (config: Readonly<ShellConfig>, user: string): Promise<RecordingBudget> {
  const { maxSessionRecordingKb, maxUserRecordingsKb, recordingsDir } = config.shell.audit
  const dir = join(recordingsDir, user)
  let used = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, name)).catch(() => undefined)
    if (s?.isFile() === true) used += s.size
  }
  const session = maxSessionRecordingKb * 1024
  const left = Math.max(0, maxUserRecordingsKb * 1024 - used)
  return left < session ? { maxBytes: left, scope: 'user' } : { maxBytes: session, scope: 'session' }
}
