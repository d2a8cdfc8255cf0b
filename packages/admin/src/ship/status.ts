// <stateDir>/status.json: what `bastion ship` last saw, written after every pass for
// `bastion doctor` (checks/shipping.ts): when it last wrote, when CloudWatch last
// acknowledged a batch, the last error (AWS's code and message: no secret is in them),
// and per log its files, the offsets acknowledged, the backlog and its oldest line, and
// the lines that never reached CloudWatch.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Kind } from './config.ts'
import { writeAtomic, type Counter } from './cursor.ts'
import type { Backlog } from './ship-log.ts'

export interface CallFailure {
  code: string
  message: string
  at: string
}

export interface SourceStatus {
  kind: Kind
  file: string | null // null: this host writes no such log (metadataproxy.log.auditFile unset)
  group: string
  stream: string
  shipped: number // lines acknowledged, ever
  lastSuccessAt: string | null
  backlogBytes: number
  oldestUnshipped: string | null
  files: Backlog['files']
  oversized: Counter
  rejected: Counter
  lost: Counter
  error: CallFailure | null // the last call's, until one succeeds
}

// The recordings step's last pass (ship/recordings.ts), when ship.recordings.bucket is set.
export interface RecordingsStatus {
  bucket: string
  uploaded: number // in this process's life
  failed: number // in the last pass
  live: number // recordings still being written
  backlogFiles: number
  backlogBytes: number
  oldestUnshipped: string | null // the mtime of the oldest complete recording not uploaded
  error: CallFailure | null // the last failure, until an upload succeeds
}

export interface ShipStatus {
  version: 1
  host: string
  region: string
  pid: number
  updatedAt: string
  intervalMs: number
  lastSuccessAt: string | null
  lastError: (CallFailure & { kind: Kind }) | null
  sources: SourceStatus[]
  recordings?: RecordingsStatus
}

export const statusPath = (stateDir: string): string => join(stateDir, 'status.json')

export async function writeStatus (stateDir: string, status: ShipStatus): Promise<void> {
  await writeAtomic(statusPath(stateDir), JSON.stringify(status, null, 2) + '\n')
}

// The status, or why there is none to read.
export async function readStatus (stateDir: string): Promise<{ status: ShipStatus } | { missing: string }> {
  const path = statusPath(stateDir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    return { missing: `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }
  }
  try {
    const status = JSON.parse(text) as ShipStatus
    if (status.version !== 1 || !Array.isArray(status.sources) || typeof status.updatedAt !== 'string') throw new Error('not a status')
    return { status }
  } catch {
    return { missing: `${path} is not bastion ship's status` }
  }
}
