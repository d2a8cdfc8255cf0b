// The session log's hash chain (issue 16, item 5): every line carries, in its field
// "prev", the SHA-256 (hex) of the line before it in the same file, as the bytes of
// that line without its newline; the first line of a file has "prev": null. An edit to
// any line but the last breaks the chain at the next line, a line taken out breaks it
// where it was, and a line put in breaks it at the line after; `bastion audit --verify`
// finds the first break. Only a copy kept elsewhere (shipped off the host) shows lines
// cut from the end, or a whole file replaced.
//
// Several session workers append to one file at once, so the last line is read and the
// new one appended under a lock (proper-lockfile: a directory beside the file, stale
// after a few seconds if its holder died).
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import lockfile from 'proper-lockfile'

export const CHAIN_FIELD = 'prev'

export function lineHash (line: string | Buffer): string {
  return createHash('sha256').update(line).digest('hex')
}

// The file's last line without its newline, null for an empty file, and whether the
// file ends with a newline (a torn last line does not).
export function lastLine (fd: number): { line: Buffer | null, whole: boolean } {
  const size = fstatSync(fd).size
  if (size === 0) return { line: null, whole: true }
  const last = Buffer.alloc(1)
  readSync(fd, last, 0, 1, size - 1)
  const whole = last[0] === 0x0a
  const end = whole ? size - 1 : size
  let start = end
  const chunk = Buffer.alloc(64 * 1024)
  const parts: Buffer[] = []
  // Backwards, a chunk at a time, to the newline before the last line.
  while (start > 0) {
    const from = Math.max(0, start - chunk.length)
    const n = readSync(fd, chunk, 0, start - from, from)
    const nl = chunk.subarray(0, n).lastIndexOf(0x0a)
    if (nl >= 0) {
      parts.unshift(Buffer.from(chunk.subarray(nl + 1, n)))
      break
    }
    parts.unshift(Buffer.from(chunk.subarray(0, n)))
    start = from
  }
  return { line: Buffer.concat(parts), whole }
}

export interface ChainLock {
  // Takes the file's lock, or throws after `timeoutMs`; returns its release.
  take (file: string, timeoutMs: number): () => void
}

const sleepSync = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) }

export const fileLock: ChainLock = {
  take (file, timeoutMs) {
    const until = Date.now() + timeoutMs
    for (;;) {
      try {
        return lockfile.lockSync(file, { realpath: false, stale: 5000 })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= until) throw err
        sleepSync(2)
      }
    }
  }
}

// Appends `record` to `file` as one line chained to the line before it, under the lock.
export function appendChained (file: string, record: object, lock: ChainLock = fileLock, timeoutMs = 2000): void {
  const release = lock.take(file, timeoutMs)
  try {
    const fd = openSync(file, 'a+', 0o640)
    try {
      const { line, whole } = lastLine(fd)
      const text = JSON.stringify({ ...record, [CHAIN_FIELD]: line === null ? null : lineHash(line) })
      writeSync(fd, (whole ? '' : '\n') + text + '\n')
    } finally {
      closeSync(fd)
    }
  } finally {
    release()
  }
}

// Where a chain breaks, or undefined while it holds. `line` is 1-based in its file.
export interface ChainBreak { line: number, why: string }

// Checks one file's lines (without their newlines) in order. Lines written before the
// chain existed (no "prev" field) may only come first: they are counted, not judged.
export class ChainChecker {
  private previous: string | null = null
  private number = 0
  unchained = 0
  lines = 0

  // The first line of a file: "prev" null, or the hash of the last line of the file
  // before it, when that file is given.
  startFile (lastOfPrevious: string | null = null): void {
    this.previous = lastOfPrevious
    this.number = 0
  }

  check (line: string): ChainBreak | undefined {
    this.number++
    this.lines++
    const first = this.number === 1
    const before = this.previous
    this.previous = line
    let value: unknown
    try { value = JSON.parse(line) } catch { return { line: this.number, why: 'the line is not JSON (cut, or written over)' } }
    const prev = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[CHAIN_FIELD] : undefined
    if (prev === undefined) {
      if (this.unchained === this.lines - 1) { this.unchained++; return undefined }
      return { line: this.number, why: `the line has no "${CHAIN_FIELD}": put in after the chain began` }
    }
    if (prev === null) {
      if (first) return undefined
      return { line: this.number, why: `"${CHAIN_FIELD}" is null in the middle of the file: the lines before it were not there when it was written` }
    }
    if (before === null) return { line: this.number, why: first ? 'the first line names a line before it, which is not there: the start of the file was cut' : 'the line before it is missing' }
    if (typeof prev !== 'string' || prev !== lineHash(before)) return { line: this.number, why: `"${CHAIN_FIELD}" does not match the line before it: that line was changed, or lines were taken out or put in here` }
    return undefined
  }
}
