// The session audit trail: one JSON line when a session starts and one when it ends,
// naming the human, where they came from, the container and the command; each line
// chained to the one before it by its hash (audit-chain.ts).
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { appendChained, type ChainLock } from './audit-chain.ts'
import type { SessionKind, Transfer } from './session/kind.ts'

export interface SessionRecord {
  session: string
  user: string
  uid: number
  source: { ip: string, port: number } | null
  container: string
  // shell: an interactive login; command: anything else that is not a transfer.
  kind: SessionKind
  // What runs: `bash -l` for a shell, the command as the client sent it otherwise.
  command: string | null
  // For scp, sftp and rsync: the direction and the paths; null for anything else.
  transfer: Transfer | null
  tty: boolean
  recording: string | null
  // The person's own reason for the session (shell.reason), checked; null for none.
  // Not the session-end line's `reason`, which says why the session ended.
  statedReason: string | null
}

export interface AuditTrail {
  start (r: SessionRecord): void
  // recordingCut: the recording stopped at its cap (session/recorder.ts).
  end (r: SessionRecord, outcome: { exitCode: number, durationMs: number, reason: string, recordingCut: boolean }): void
}

export function auditTrail (file: string, lock?: ChainLock): AuditTrail {
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 })
  // Synchronous appends: the line is on disk before the session goes on, and a session
  // that dies abruptly still leaves its start line.
  const write = (line: object): void => appendChained(file, line, lock)
  return {
    start: (r) => write({ event: 'session-start', time: new Date().toISOString(), ...r }),
    end: (r, o) => write({ event: 'session-end', time: new Date().toISOString(), ...r, ...o })
  }
}

// SSH_CONNECTION is "client-ip client-port server-ip server-port", set by sshd.
export function sourceOf (sshConnection: string | undefined): { ip: string, port: number } | null {
  const [ip, port] = (sshConnection ?? '').split(' ')
  if (ip === undefined || ip === '' || port === undefined || !/^[0-9]+$/.test(port)) return null
  return { ip, port: Number(port) }
}
