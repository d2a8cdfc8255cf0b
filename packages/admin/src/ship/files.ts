// The files of one log as the shipper sees them: the live file and its rotated copies
// (found as `bastion audit` finds them, oldest first), each with the identity a cursor
// holds on to (device and inode, plus a hash of the first line to catch an inode reused
// or a file truncated by copytruncate), and their complete lines from a byte offset.
// Offsets count the bytes of the plain text, gunzipped for a .gz copy.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import { rotatedSet } from '../audit/log-files.ts'
import { chronological } from '../audit/verify.ts'

export interface LogFile {
  path: string
  compressed: boolean
  dev: number
  ino: number
  size: number // on disk (compressed for a .gz)
}

// The head: the first line with its newline, or the first HEAD_BYTES of a longer one.
export const HEAD_BYTES = 64 * 1024

// The live file and its rotated copies, oldest first; a file that vanishes while it is
// looked at is left out.
export async function logFiles (live: string): Promise<LogFile[]> {
  const { files } = await rotatedSet(live)
  const out: LogFile[] = []
  for (const path of chronological(live, files)) {
    try {
      const s = await stat(path)
      if (s.isFile()) out.push({ path, compressed: path.endsWith('.gz'), dev: s.dev, ino: s.ino, size: s.size })
    } catch {
      // Rotated away between the listing and the look: the next pass finds it.
    }
  }
  return out
}

function open (path: string, compressed: boolean, start = 0): Readable {
  if (!compressed) return createReadStream(path, { start })
  const source = createReadStream(path)
  const gunzip = createGunzip()
  source.on('error', (err) => gunzip.destroy(err))
  gunzip.on('close', () => source.destroy())
  return source.pipe(gunzip)
}

// sha256 of the head, or null while the file has no complete first line and is shorter
// than HEAD_BYTES (its head may still change).
export async function headOf (path: string, compressed: boolean): Promise<string | null> {
  const input = open(path, compressed)
  const parts: Buffer[] = []
  let length = 0
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const nl = chunk.indexOf(0x0a)
      const take = nl >= 0 ? nl + 1 : chunk.length
      parts.push(chunk.subarray(0, Math.min(take, HEAD_BYTES - length)))
      length += Math.min(take, HEAD_BYTES - length)
      if (nl >= 0 || length >= HEAD_BYTES) return createHash('sha256').update(Buffer.concat(parts)).digest('hex')
    }
    return null
  } finally {
    input.destroy()
  }
}

export type LineItem =
  | { text: string, end: number } // a complete line without its newline; end: the offset after it
  | { oversized: number, end: number } // a line longer than the limit (its length), skipped
  | { length: number } // the last item: the plain length read, an incomplete last line included

// The complete lines from `offset` on (a plain file: up to its size when opened). A line
// longer than maxLine bytes is not kept in memory: it comes as its length. Empty lines
// come as empty text. The last item is the length read.
export async function * linesFrom (file: { path: string, compressed: boolean }, offset: number, maxLine: number): AsyncGenerator<LineItem> {
  const input = file.compressed ? open(file.path, true) : open(file.path, false, offset)
  let skip = file.compressed ? offset : 0
  let pos = offset
  let parts: Buffer[] = []
  let partial = 0
  try {
    for await (let chunk of input as AsyncIterable<Buffer>) {
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.length)
        skip -= dropped
        chunk = chunk.subarray(dropped)
      }
      let from = 0
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        const length = partial + nl - from
        pos += length + 1
        if (length > maxLine) yield { oversized: length, end: pos }
        else yield { text: Buffer.concat([...parts, chunk.subarray(from, nl)]).toString('utf8'), end: pos }
        parts = []
        partial = 0
        from = nl + 1
      }
      const rest = chunk.length - from
      if (rest > 0) {
        if (partial + rest <= maxLine) parts.push(Buffer.from(chunk.subarray(from)))
        else parts = []
        partial += rest
      }
    }
    yield { length: pos + partial }
  } finally {
    input.destroy()
  }
}

// The plain length of a file: its size, or the gunzipped length of a .gz.
export async function plainLength (file: { path: string, compressed: boolean, size: number }): Promise<number> {
  if (!file.compressed) return file.size
  let n = 0
  for await (const chunk of open(file.path, true) as AsyncIterable<Buffer>) n += chunk.length
  return n
}
