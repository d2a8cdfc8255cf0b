// The shipper's memory of one log, in <stateDir>/<kind>.cursor.json: for each file of
// the log (the live one and the rotated copies it still tracks), where CloudWatch Logs
// acknowledged up to. It is written (tmp file, fsync, rename, fsync of the directory)
// only after a PutLogEvents succeeded, so a crash at any point ships a line again rather
// than never: delivery is at least once, and `bastion audit` drops the duplicates.
import { open, readFile, rename, mkdir, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import type { Kind } from './config.ts'

export interface Position {
  dev: number
  ino: number
  head: string | null // files.ts headOf; null while the file had no complete first line
  compressed: boolean
  path: string // where the file was last seen
  offset: number // plain bytes acknowledged: the end of the last line shipped
  seen: number | null // its plain length when last looked at (null: a .gz not read to its end)
  size: number // its size on disk when last looked at
}

// Lines that did not reach CloudWatch and never will, counted (doctor shows them).
export interface Counter {
  count: number
  lastAt: string | null
  detail: string | null
}

export interface Cursor {
  version: 1
  file: string // the live file followed
  positions: Position[] // oldest first
  lastTimestamp: number // the stream's last event time: the next ones are never earlier
  shipped: number // lines acknowledged, ever
  oversized: Counter // longer than an event may be, skipped
  rejected: Counter // refused by CloudWatch (too old or too new)
  lost: Counter // in a file that went away before it was shipped
}

const counter = (): Counter => ({ count: 0, lastAt: null, detail: null })

export const newCursor = (file: string): Cursor =>
  ({ version: 1, file, positions: [], lastTimestamp: 0, shipped: 0, oversized: counter(), rejected: counter(), lost: counter() })

export const cursorPath = (stateDir: string, kind: Kind): string => join(stateDir, `${kind}.cursor.json`)

// The saved cursor; a new one (with a note why) when there is none, it is unreadable, or
// it follows another file than the configured one.
export async function loadCursor (stateDir: string, kind: Kind, file: string): Promise<{ cursor: Cursor, note?: string }> {
  const path = cursorPath(stateDir, kind)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { cursor: newCursor(file) }
    throw err
  }
  let cursor: Cursor
  try {
    cursor = JSON.parse(text) as Cursor
    if (cursor.version !== 1 || !Array.isArray(cursor.positions)) throw new Error('not a cursor')
  } catch {
    return { cursor: newCursor(file), note: `${path} is not a cursor: ${file} and its rotated copies are shipped again from their start` }
  }
  if (cursor.file !== file) return { cursor: newCursor(file), note: `${path} followed ${cursor.file}: ${file} is new, shipped from its start` }
  return { cursor }
}

export async function saveCursor (stateDir: string, kind: Kind, cursor: Cursor): Promise<void> {
  await writeAtomic(cursorPath(stateDir, kind), JSON.stringify(cursor) + '\n')
}

// The state directory, root's alone.
export async function stateDirectory (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
}

// Replaces `path` with `text` so that a crash leaves the old file or the new one whole.
export async function writeAtomic (path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const dir = await open(join(path, '..'), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
