// One pass over one log, on real files (written, rotated, compressed, truncated, deleted
// as logrotate does) and a fake CloudWatch Logs that holds each call to its rules.
import t from 'tap'
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { LogsCallError } from '../../src/audit/logs-api.ts'
import { MAX_MESSAGE_BYTES } from '../../src/ship/batch.ts'
import { newCursor, type Cursor } from '../../src/ship/cursor.ts'
import { shipLog, type LogTarget } from '../../src/ship/ship-log.ts'
import { FakeLogs, line, memoryLog, short, target, tempDir, text } from './fixtures.ts'

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0)

function world (t: { teardown (fn: () => void): void }) {
  const dir = tempDir(t)
  const tg = target(dir)
  mkdirSync(tg.stateDir)
  const logs = new FakeLogs(tg.group)
  const log = memoryLog()
  const cursor = newCursor(tg.file)
  const pass = (c: Cursor = cursor, opts: { maxBatches?: number, stop?: () => boolean, tg?: LogTarget } = {}) =>
    shipLog(opts.tg ?? tg, c, { writer: logs, now: () => NOW, log }, { maxBatches: opts.maxBatches ?? 100, stop: opts.stop ?? (() => false) })
  const shipped = (): string[] => logs.lines(tg.group, tg.stream)
  return { dir, tg, logs, log, cursor, pass, shipped }
}

t.test('every complete line once, in order, with its own time; the cursor at the end; a second pass sends nothing', async (t) => {
  const w = world(t)
  const lines = [1, 2, 3].map((n) => line(n))
  writeFileSync(w.tg.file, text(lines) + '{"torn')
  const p = await w.pass()
  t.same(w.shipped(), lines, 'the torn last line waits')
  t.same(w.logs.calls.map((c) => c.call), ['put', 'create', 'put'], 'the stream made on the first ResourceNotFound')
  t.equal(p.sent, 3)
  t.same(p.backlog, { bytes: 6, oldest: null, files: [{ path: w.tg.file, offset: text(lines).length, size: text(lines).length + 6 }] }, 'an incomplete line is bytes behind, not a line')
  t.same(w.logs.streams.get(`${w.tg.group}:${w.tg.stream}`)?.map((e) => e.timestamp), [1, 2, 3].map((n) => Date.UTC(2026, 11, 7, 8, 0, n)))
  const saved = JSON.parse(readFileSync(join(w.tg.stateDir, 'sessions.cursor.json'), 'utf8'))
  t.equal(saved.positions[0].offset, text(lines).length, 'the cursor is on disk')
  t.equal(saved.shipped, 3)
  await w.pass()
  t.equal(w.logs.calls.length, 3, 'nothing new: no call')
  appendFileSync(w.tg.file, '"}\n')
  await w.pass()
  t.same(w.shipped(), [...lines, '{"torn"}'], 'completed, it goes')
})

t.test('batches keep within PutLogEvents\' limits: 10,000 events, 1 MiB, 24 hours', async (t) => {
  const w = world(t)
  const many = Array.from({ length: 10_050 }, (_, n) => short(n, NOW - 3_600_000 + n))
  const big = Array.from({ length: 8 }, (_, n) => line(20_000 + n, NOW - 1000 + n, 'x'.repeat(250_000)))
  writeFileSync(w.tg.file, text([...many, ...big]))
  await w.pass()
  t.same(w.logs.calls.filter((c) => c.call === 'put').map((c) => c.events).slice(1), [10_000, 50 + 4, 4], 'split by count, then by bytes')
  t.equal(w.shipped().length, many.length + big.length)
  const w2 = world(t)
  writeFileSync(w2.tg.file, text([line(1, NOW - 13 * 86_400_000), line(2, NOW - 12 * 86_400_000), line(3, NOW - 12 * 86_400_000 + 5)]))
  await w2.pass()
  t.same(w2.logs.calls.filter((c) => c.call === 'put').map((c) => c.events).slice(1), [1, 2], 'no batch spans more than a day')
})

t.test('timestamps never go back in a stream, and stay within what CloudWatch takes', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(5), line(2), 'not json', JSON.stringify({ time: NOW + 86_400_000 }), line(1, NOW - 30 * 86_400_000)]))
  w.cursor.lastTimestamp = Date.UTC(2026, 11, 7, 8, 0, 3)
  await w.pass()
  const ts = w.logs.streams.get(`${w.tg.group}:${w.tg.stream}`)?.map((e) => e.timestamp) ?? []
  t.same(ts.slice(0, 3), [Date.UTC(2026, 11, 7, 8, 0, 5), Date.UTC(2026, 11, 7, 8, 0, 5), Date.UTC(2026, 11, 7, 8, 0, 5)], 'an earlier line, or one without a time, takes the time before it')
  t.equal(ts[3], NOW + 60_000, 'a line from the future: now (plus a minute)')
  t.equal(ts[4], NOW + 60_000, 'an old line after it: not earlier than the one before')
})

t.test('a failed call leaves the cursor on the last batch taken; the next pass goes on from there', async (t) => {
  const w = world(t)
  w.logs.streams.set(`${w.tg.group}:${w.tg.stream}`, [])
  const lines = Array.from({ length: 12_000 }, (_, n) => short(n, NOW - 3_600_000 + n))
  writeFileSync(w.tg.file, text(lines))
  w.logs.fail = (c, n) => n === 2 ? { error: new LogsCallError('ServiceUnavailableException', 'down', 503) } : undefined
  const p = await w.pass()
  t.equal(p.error?.code, 'ServiceUnavailableException')
  t.equal(w.shipped().length, 10_000)
  t.equal(p.backlog.oldest, NOW - 3_600_000 + 10_000, 'the oldest line not shipped, by its own time')
  t.equal(p.backlog.bytes, text(lines.slice(10_000)).length)
  w.logs.fail = () => undefined
  await w.pass()
  t.same(w.shipped(), lines, 'none lost, none twice')
})

t.test('a batch taken but not acknowledged (a crash before the cursor is saved) goes again: at least once', async (t) => {
  const w = world(t)
  w.logs.streams.set(`${w.tg.group}:${w.tg.stream}`, [])
  writeFileSync(w.tg.file, text([line(1), line(2)]))
  w.logs.fail = () => ({ error: new LogsCallError('TimeoutError', 'socket hang up', undefined), after: true })
  t.ok((await w.pass()).error)
  w.logs.fail = () => undefined
  await w.pass()
  t.same(w.shipped(), [line(1), line(2), line(1), line(2)])
})

t.test('a budget of calls, or a stop, ends the pass with lines left', async (t) => {
  const w = world(t)
  w.logs.streams.set(`${w.tg.group}:${w.tg.stream}`, [])
  writeFileSync(w.tg.file, text(Array.from({ length: 25_000 }, (_, n) => short(n, NOW - 3_600_000 + n))))
  const one = await w.pass(w.cursor, { maxBatches: 1 })
  t.match(one, { sent: 10_000, more: true })
  // SIGTERM while the first call is in flight.
  const before = w.logs.calls.length
  const two = await w.pass(w.cursor, { stop: () => w.logs.calls.length > before })
  t.match(two, { sent: 10_000, more: true }, 'stopped after the call in flight')
  const none = await w.pass(w.cursor, { stop: () => true })
  t.match(none, { sent: 0, more: true })
  writeFileSync(join(w.dir, 'sessions.jsonl.1'), text([line(0)]))
  t.match(await w.pass(w.cursor, { stop: () => true }), { sent: 0, more: true }, 'stopped before a file')
  await w.pass()
  t.equal(w.shipped().length, 25_000)
})

t.test('rotated by renaming with an unshipped tail: the tail is finished from the copy before the new file', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1), line(2)]))
  await w.pass()
  appendFileSync(w.tg.file, text([line(3)]))
  renameSync(w.tg.file, `${w.tg.file}.1`)
  writeFileSync(w.tg.file, text([line(4)]))
  await w.pass()
  t.same(w.shipped(), [1, 2, 3, 4].map((n) => line(n)))
  appendFileSync(`${w.tg.file}.1`, text([line(5)]))
  await w.pass()
  t.same(w.shipped().at(-1), line(5), 'a writer that kept the old file open: its lines still go')
  renameSync(`${w.tg.file}.1`, `${w.tg.file}.2`)
  renameSync(w.tg.file, `${w.tg.file}.1`)
  await w.pass()
  t.equal(w.shipped().length, 5, 'renamed again, nothing twice')
  t.same(w.log.lines, [])
})

t.test('copytruncate: the tail is finished from the copy, the truncated file starts again', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1)]))
  await w.pass()
  appendFileSync(w.tg.file, text([line(2)]))
  copyFileSync(w.tg.file, `${w.tg.file}.1`)
  truncateSync(w.tg.file, 0)
  appendFileSync(w.tg.file, text([line(3), line(4), line(5)]))
  await w.pass()
  t.same(w.shipped(), [1, 2, 3, 4, 5].map((n) => line(n)), 'the new content is longer than the old offset: the first line tells')
})

t.test('compressed before its tail was shipped: finished from the .gz', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1)]))
  await w.pass()
  appendFileSync(w.tg.file, text([line(2), line(3)]))
  writeFileSync(`${w.tg.file}.1.gz`, gzipSync(readFileSync(w.tg.file)))
  rmSync(w.tg.file)
  writeFileSync(w.tg.file, text([line(4)]))
  await w.pass()
  t.same(w.shipped(), [1, 2, 3, 4].map((n) => line(n)))
  renameSync(`${w.tg.file}.1.gz`, `${w.tg.file}.2.gz`)
  await w.pass()
  t.equal(w.shipped().length, 4, 'renamed, the .gz is known by its inode')
})

t.test('the first run ships the rotated copies too, oldest first', async (t) => {
  const w = world(t)
  writeFileSync(`${w.tg.file}.2.gz`, gzipSync(text([line(1)])))
  writeFileSync(`${w.tg.file}.1`, text([line(2)]))
  writeFileSync(w.tg.file, text([line(3)]))
  const p = await w.pass()
  t.same(w.shipped(), [1, 2, 3].map((n) => line(n)))
  t.equal(p.backlog.files.length, 3)
  await w.pass()
  t.equal(w.shipped().length, 3)
})

t.test('a copy deleted before its tail was shipped is reported and counted, not skipped in silence', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1)]))
  await w.pass()
  appendFileSync(w.tg.file, text([line(2)]))
  // Seen with its tail, which then fails to go.
  w.logs.fail = () => ({ error: new LogsCallError('ThrottlingException', 'Rate exceeded', 400) })
  await w.pass()
  w.logs.fail = () => undefined
  rmSync(w.tg.file)
  writeFileSync(w.tg.file, text([line(3)]))
  await w.pass()
  t.same(w.shipped(), [line(1), line(3)])
  t.equal(w.cursor.lost.count, 1)
  t.match(w.cursor.lost.detail, `${w.tg.file} went away before it was shipped: ${line(2).length + 1} bytes after offset ${line(1).length + 1} never reached CloudWatch`)
  t.match(w.log.lines, [/^warn: sessions: .* went away before it was shipped/])
  // Fully shipped and deleted: nothing to say.
  rmSync(w.tg.file)
  await w.pass()
  t.equal(w.cursor.lost.count, 1)
})

t.test('a line too long for an event is skipped, counted and reported; an empty line is passed over', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1), 'x'.repeat(MAX_MESSAGE_BYTES + 1), '', line(2), 'y'.repeat(MAX_MESSAGE_BYTES)]))
  await w.pass()
  t.same(w.shipped(), [line(1), line(2), 'y'.repeat(MAX_MESSAGE_BYTES)], 'the longest allowed goes')
  t.equal(w.cursor.oversized.count, 1)
  t.match(w.log.lines, [/^warn: sessions: a line of 262119 bytes in .* is longer than a CloudWatch event may be \(262118\): skipped/])
  t.equal(w.cursor.positions[0]?.offset, readFileSync(w.tg.file).length)
})

t.test('events CloudWatch refuses are counted and reported; the cursor moves on', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1), line(2), line(3)]))
  w.logs.reject = () => ({ tooOld: 1, tooNew: 1 })
  await w.pass()
  t.same(w.shipped(), [line(2)])
  t.match(w.cursor.rejected, { count: 2, detail: /CloudWatch refused 2 events of .* \(1 too old, 1 too new\)/ })
  w.logs.reject = () => ({ tooOld: 1, tooNew: 0 })
  appendFileSync(w.tg.file, text([line(4)]))
  await w.pass()
  t.match(w.cursor.rejected, { count: 3, detail: /refused 1 event of/ })
})

t.test('a missing log group is the error of the pass; nothing moves', async (t) => {
  const w = world(t)
  w.logs.groups.clear()
  writeFileSync(w.tg.file, text([line(1)]))
  const p = await w.pass()
  t.equal(p.error?.code, 'ResourceNotFoundException')
  t.equal(w.cursor.positions[0]?.offset, 0)
  t.same(w.logs.calls.map((c) => c.call), ['put', 'create'])
})

t.test('an error that is not CloudWatch\'s is thrown; a log with no file yet ships nothing', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text([line(1)]))
  w.logs.putLogEvents = async () => { throw new Error('bug') }
  await t.rejects(w.pass(), /bug/)
  const empty = world(t)
  t.match(await empty.pass(), { sent: 0, more: false, backlog: { bytes: 0, oldest: null, files: [] } })
})

t.test('the oldest unshipped line without a time of its own is as old as its file', async (t) => {
  const w = world(t)
  writeFileSync(w.tg.file, text(['no time here']))
  w.logs.fail = () => ({ error: new LogsCallError('ThrottlingException', 'slow down', 400) })
  const p = await w.pass()
  t.ok(p.backlog.oldest !== null && Math.abs((p.backlog.oldest) - Date.now()) < 60_000)
  writeFileSync(`${w.tg.file}.1.gz`, gzipSync(text([line(0)])))
  const fresh = newCursor(w.tg.file)
  const q = await w.pass(fresh)
  t.equal(q.backlog.oldest, Date.UTC(2026, 11, 7, 8, 0, 0), 'a .gz not read to its end: its first line')
})
