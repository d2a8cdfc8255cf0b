// Which files of a log hold lines not shipped yet, and from where: each position of the
// cursor is found again among the live file and its rotated copies (logrotate renames,
// compresses, copies and truncates them), and files newer than every one found are new.
//
// A position is its file when the device and inode are the same, the file is no shorter
// than the offset and its first line is the same (an inode reused, or a live file
// truncated by copytruncate, is not). Else the copy with the same first line holds it (a
// copytruncate copy, a compressed .gz). A position found nowhere is a file gone away:
// dropped, and reported when it is known to have held lines never shipped.
import { headOf, type LogFile } from './files.ts'
import type { Position } from './cursor.ts'

export interface Segment {
  file: LogFile
  position: Position
}

export interface Gone {
  position: Position
  // Plain bytes after the offset the file was last seen with; null: not known (a .gz
  // not read to its end), 0: nothing was left to ship.
  unshipped: number | null
}

export interface Plan {
  segments: Segment[] // oldest first: every position found and every new file
  gone: Gone[]
}

export type Heads = (file: LogFile) => Promise<string | null>

export async function planLog (files: LogFile[], positions: readonly Position[], heads: Heads = (f) => headOf(f.path, f.compressed)): Promise<Plan> {
  const cache = new Map<string, Promise<string | null>>()
  const head = (f: LogFile): Promise<string | null> => {
    let h = cache.get(f.path)
    if (h === undefined) { h = heads(f); cache.set(f.path, h) }
    return h
  }
  const used = new Set<LogFile>()
  const found: Segment[] = []
  const gone: Gone[] = []
  for (const p of positions) {
    let file = await itself(p, files.find((f) => !used.has(f) && f.dev === p.dev && f.ino === p.ino && f.compressed === p.compressed), head)
    if (file === undefined && p.head !== null) {
      for (const f of files) {
        if (used.has(f) || (!f.compressed && f.size < p.offset)) continue
        if (await head(f) === p.head) { file = f; break }
      }
    }
    if (file === undefined) {
      gone.push({ position: p, unshipped: p.seen === null ? null : Math.max(0, p.seen - p.offset) })
      continue
    }
    used.add(file)
    found.push({ file, position: await moved(p, file, head) })
  }
  found.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file))
  const anchor = found.length === 0 ? -1 : files.indexOf(found[found.length - 1]?.file as LogFile)
  for (const file of files.slice(anchor + 1)) {
    if (used.has(file)) continue
    found.push({ file, position: { dev: file.dev, ino: file.ino, head: await head(file), compressed: file.compressed, path: file.path, offset: 0, seen: file.compressed ? null : file.size, size: file.size } })
  }
  return { segments: found, gone }
}

// The file with the position's inode, if it is still the position's file.
async function itself (p: Position, f: LogFile | undefined, head: (f: LogFile) => Promise<string | null>): Promise<LogFile | undefined> {
  if (f === undefined) return undefined
  if (f.compressed) return f.size === p.size || await head(f) === p.head ? f : undefined
  if (f.size < p.offset) return undefined
  return p.head === null || await head(f) === p.head ? f : undefined
}

// The position as found in `file` now.
async function moved (p: Position, file: LogFile, head: (f: LogFile) => Promise<string | null>): Promise<Position> {
  const same = p.dev === file.dev && p.ino === file.ino && p.compressed === file.compressed
  return {
    dev: file.dev,
    ino: file.ino,
    head: p.head ?? await head(file),
    compressed: file.compressed,
    path: file.path,
    offset: p.offset,
    seen: file.compressed ? (same && file.size === p.size ? p.seen : null) : file.size,
    size: file.size
  }
}
