// Reading an audit log as its writers and logrotate leave it: the live file plus its
// rotated siblings (name.1, name.2.gz, name-20261126[.gz], and kube-apiserver's own
// name-2026-11-26T20-53-32.123.ext[.gz]), one JSON value per line. A missing file, an
// unreadable one or a line that is not JSON becomes a warning, never an exception.
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'

export interface JsonLine {
  file: string
  line: number
  value: unknown
  stream?: string // a CloudWatch Logs stream's name; for the hosts' groups, the host
}

// Problems met while reading, for the caller to print as warnings.
export interface Warnings {
  add (message: string): void
}

export const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// The live file first, then its rotated siblings found next to it. A missing live file
// is reported only when no rotated sibling exists either.
export async function rotatedSet (path: string): Promise<{ files: string[], missing: boolean }> {
  const dir = dirname(path)
  const name = basename(path)
  const ext = extname(name)
  const stem = ext === '' ? name : name.slice(0, -ext.length)
  const rotated = new RegExp(`^(?:${escape(name)}(?:\\.\\d+|-\\d{8,10})|${escape(stem)}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}(?:\\.\\d{3})?${escape(ext)})(?:\\.gz)?$`)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return { files: [], missing: true }
  }
  const siblings = names.filter((n) => rotated.test(n)).sort().map((n) => join(dir, n))
  return names.includes(name) ? { files: [path, ...siblings], missing: false } : { files: siblings, missing: siblings.length === 0 }
}

// Every JSON line of the file set that contains `needle`, or one of them (a cheap filter: the lines of
// other users are not parsed). Bad lines are counted per file and reported once.
export async function * jsonLines (path: string, needle: string | readonly string[], warnings: Warnings, what: string): AsyncGenerator<JsonLine> {
  const needles = typeof needle === 'string' ? [needle] : needle
  const { files, missing } = await rotatedSet(path)
  if (missing) {
    warnings.add(`${what}: ${path} does not exist (nor any rotated copy): nothing from there`)
    return
  }
  for (const file of files) {
    const bad: number[] = []
    let lineNo = 0
    try {
      for await (const text of fileLines(file)) {
        lineNo++
        if (!needles.some((n) => text.includes(n))) continue
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          bad.push(lineNo)
          continue
        }
        yield { file, line: lineNo, value }
      }
    } catch (err) {
      warnings.add(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) after ${lineNo} lines: the rest of it is left out`)
    }
    if (bad.length > 0) warnings.add(`${what}: ${file}: ${lineCount(bad)} skipped, not valid JSON`)
  }
}

// Every line of one file (gunzipped when it ends in .gz), without its newline; a read
// error (EACCES, EISDIR) or a corrupt .gz is thrown where it happens.
export async function * fileLines (file: string): AsyncGenerator<string> {
  const source = createReadStream(file)
  const input: Readable = file.endsWith('.gz') ? source.pipe(createGunzip()) : source
  // Either stream may fail.
  const failed = new Promise<never>((_resolve, reject) => {
    source.once('error', reject)
    input.once('error', reject)
  })
  failed.catch(() => {})
  const iterator = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]()
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), failed])
      if (next.done === true) break
      yield next.value
    }
  } finally {
    source.destroy()
    input.destroy()
  }
}

// "line 7" or "3 lines (2, 9, 40)" or "12 lines (2, 9, 40, ...)"
export function lineCount (lines: number[]): string {
  if (lines.length === 1) return `line ${lines[0]}`
  const shown = lines.slice(0, 3).join(', ')
  return `${lines.length} lines (${shown}${lines.length > 3 ? ', ...' : ''})`
}

// Lines that were JSON but not the record expected, per file, for one warning each.
export function skippedRecords (warnings: Warnings, what: string, user: string, expected: string): { add (file: string, line: number): void, report (): void } {
  const byFile = new Map<string, number[]>()
  return {
    add: (file, line) => { byFile.set(file, [...(byFile.get(file) ?? []), line]) },
    report: () => { for (const [f, lines] of byFile) warnings.add(`${what}: ${f}: ${lineCount(lines)} of ${user} skipped, not ${expected}`) }
  }
}
