// One pass over one log: its files planned against the cursor (plan.ts), the lines not
// acknowledged yet read oldest file first, sent in batches (batch.ts) to the host's
// stream in the log's group, and the cursor saved after each batch CloudWatch accepted.
// A failed call ends the pass with its error and nothing is lost: the lines stay on
// disk and the cursor where it was. A stream that does not exist yet is made.
import { stat } from 'node:fs/promises'
import { LogsCallError } from '../audit/logs-api.ts'
import { Batch, eventTime, lineTime, MAX_MESSAGE_BYTES } from './batch.ts'
import { saveCursor, type Counter, type Cursor, type Position } from './cursor.ts'
import { linesFrom, logFiles, type LogFile } from './files.ts'
import type { LogsWriter } from './logs-writer.ts'
import { planLog, type Heads } from './plan.ts'
import type { ShipSource } from './config.ts'

export interface ShipLog {
  info (message: string): void
  warn (message: string): void
}

export interface LogDeps {
  writer: LogsWriter
  now: () => number
  log: ShipLog
  heads?: Heads
}

export interface LogTarget extends ShipSource {
  file: string
  stream: string
  stateDir: string
}

export interface LogPass {
  sent: number // events acknowledged in this pass
  more: boolean // stopped with lines left (the batch budget, or asked to stop)
  error?: LogsCallError
  backlog: Backlog
}

export interface Backlog {
  bytes: number // plain bytes after the cursor, in every file (an incomplete last line too; a .gz not read to its end counts 0)
  oldest: number | null // time of the oldest complete line not shipped
  files: Array<{ path: string, offset: number, size: number | null }>
}

const count = (c: Counter, at: number, detail: string, n = 1): void => {
  c.count += n
  c.lastAt = new Date(at).toISOString()
  c.detail = detail
}

const left = (p: Position): boolean => p.seen === null || p.seen > p.offset

// maxBatches: calls per pass, so that one log's backlog does not hold the others up;
// stop(): asked to stop (SIGTERM): no new call is started.
export async function shipLog (target: LogTarget, cursor: Cursor, deps: LogDeps, opts: { maxBatches: number, stop: () => boolean }): Promise<LogPass> {
  const files = await logFiles(target.file)
  const plan = await planLog(files, cursor.positions, deps.heads)
  for (const { position: p, unshipped } of plan.gone) {
    if (unshipped === 0) continue
    const what = unshipped === null ? 'lines' : `${unshipped} bytes`
    const detail = `${p.path} went away before it was shipped: ${what} after offset ${p.offset} never reached CloudWatch (they may be in a copy that was deleted or compressed early)`
    count(cursor.lost, deps.now(), detail)
    deps.log.warn(`${target.kind}: ${detail}`)
  }
  const before = JSON.stringify(cursor)
  cursor.positions = plan.segments.map((s) => s.position)
  // Saved only when the files moved (or one went away): no offset changes here.
  if (JSON.stringify(cursor) !== before) await saveCursor(target.stateDir, target.kind, cursor)
  const pass: LogPass = { sent: 0, more: false, backlog: { bytes: 0, oldest: null, files: [] } }
  let calls = 0
  try {
    for (const { file, position } of plan.segments) {
      if (!left(position)) continue
      if (calls >= opts.maxBatches || opts.stop()) { pass.more = true; break }
      const done = await shipFile(target, cursor, position, file, deps, () => {
        if (calls >= opts.maxBatches || opts.stop()) return false
        calls++
        return true
      }, (n) => { pass.sent += n })
      if (!done) { pass.more = true; break }
    }
  } catch (err) {
    if (!(err instanceof LogsCallError)) throw err
    pass.error = err
  }
  pass.backlog = await backlog(cursor.positions, files)
  return pass
}

// Ships one file from its position on; false when it stopped before the end.
async function shipFile (target: LogTarget, cursor: Cursor, p: Position, file: LogFile, deps: LogDeps, mayCall: () => boolean, sent: (n: number) => void): Promise<boolean> {
  let last = cursor.lastTimestamp
  let batch = new Batch(p.offset)
  const send = async (): Promise<boolean> => {
    if (batch.events.length > 0) {
      if (!mayCall()) return false
      const rejected = await put(target, batch, deps.writer)
      const refused = rejected.tooNew + rejected.tooOld
      if (refused > 0) {
        const detail = `CloudWatch refused ${refused} event${refused === 1 ? '' : 's'} of ${p.path} before offset ${batch.end} (${rejected.tooOld} too old, ${rejected.tooNew} too new)`
        count(cursor.rejected, deps.now(), detail, refused)
        deps.log.warn(`${target.kind}: ${detail}`)
      }
      cursor.lastTimestamp = (batch.events[batch.events.length - 1] as { timestamp: number }).timestamp
      cursor.shipped += batch.events.length
      sent(batch.events.length)
    }
    if (batch.end !== p.offset) {
      p.offset = batch.end
      await saveCursor(target.stateDir, target.kind, cursor)
    }
    return true
  }
  for await (const item of linesFrom(file, p.offset, MAX_MESSAGE_BYTES)) {
    if ('length' in item) {
      p.seen = item.length
      break
    }
    if ('oversized' in item) {
      const detail = `a line of ${item.oversized} bytes in ${p.path} ending at offset ${item.end} is longer than a CloudWatch event may be (${MAX_MESSAGE_BYTES}): skipped, it is still in the file`
      count(cursor.oversized, deps.now(), detail)
      deps.log.warn(`${target.kind}: ${detail}`)
      batch.skip(item.end)
      continue
    }
    if (item.text === '') { batch.skip(item.end); continue }
    const event = { timestamp: eventTime(item.text, last, deps.now()), message: item.text }
    if (!batch.fits(event)) {
      if (!await send()) return false
      batch = new Batch(p.offset)
    }
    batch.add(event, item.end)
    last = event.timestamp
  }
  return send()
}

// PutLogEvents, making the stream first when it does not exist yet.
async function put (target: LogTarget, batch: Batch, writer: LogsWriter): Promise<{ tooNew: number, tooOld: number }> {
  try {
    return await writer.putLogEvents(target.group, target.stream, batch.events)
  } catch (err) {
    if (!(err instanceof LogsCallError) || err.code !== 'ResourceNotFoundException') throw err
  }
  await writer.createLogStream(target.group, target.stream)
  return writer.putLogEvents(target.group, target.stream, batch.events)
}

// What is left after the pass, and the time of its oldest complete line (its own, else
// when its file was last written).
async function backlog (positions: readonly Position[], files: LogFile[]): Promise<Backlog> {
  const out: Backlog = { bytes: 0, oldest: null, files: [] }
  for (const p of positions) {
    out.files.push({ path: p.path, offset: p.offset, size: p.seen })
    if (!left(p)) continue
    out.bytes += p.seen === null ? 0 : (p.seen - p.offset)
    const file = files.find((f) => f.path === p.path)
    if (out.oldest !== null || file === undefined) continue
    try {
      for await (const item of linesFrom(file, p.offset, MAX_MESSAGE_BYTES)) {
        if ('length' in item) break
        const own = 'text' in item ? lineTime(item.text) : undefined
        out.oldest = own ?? (await stat(file.path)).mtimeMs
        break
      }
    } catch {
      // Gone meanwhile: the next pass says so.
    }
  }
  return out
}
