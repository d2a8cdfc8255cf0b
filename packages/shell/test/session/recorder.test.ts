// asciicast v2 recordings of TTY sessions: the header, output decoded as UTF-8 even when
// a character is split across chunks, resizes, and a private file that is never reused.
import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { fittingPrefix, startRecording } from '../../src/session/recorder.ts'

const RECORD_ONCE = fileURLToPath(new URL('../fixtures/record-once.ts', import.meta.url))
const header = { cols: 132, rows: 43, term: 'xterm-256color', title: 'alice@bastion', startMs: Date.UTC(2030, 0, 1, 12, 0, 0, 750) }

// A recording's lines, parsed.
function lines (path: string): unknown[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)
}

// The events (every line after the header) as [kind, data], without their times.
function events (path: string): Array<[string, string]> {
  return (lines(path).slice(1) as Array<[number, string, string]>).map(([, kind, data]) => [kind, data])
}

// A known umask, so file modes are what the code asks for.
const umask = process.umask(0o022)
t.teardown(() => { process.umask(umask) })

t.test('the header carries version 2, the size, the start time, the title and the terminal', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  await startRecording(path, header).close()
  const [first, ...rest] = lines(path)
  t.same(first, { version: 2, width: 132, height: 43, timestamp: Math.floor(header.startMs / 1000), title: 'alice@bastion', env: { TERM: 'xterm-256color', SHELL: '/bin/bash' } })
  t.same(rest, [])
})

t.test('output becomes "o" events, in order', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() })
  rec.output(Buffer.from('$ ls\r\n'))
  rec.output(Buffer.from('file\u001b[0m\r\n'))
  await rec.close()
  t.same(events(path), [['o', '$ ls\r\n'], ['o', 'file\u001b[0m\r\n']])
})

t.test('a UTF-8 character split across chunks is recorded whole, in the event that completes it', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() })
  const euro = Buffer.from('€') // e2 82 ac
  const fox = Buffer.from('🦊') // four bytes
  rec.output(Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]))
  rec.output(euro.subarray(1, 2))
  rec.output(Buffer.concat([euro.subarray(2), Buffer.from(' ')]))
  for (const byte of fox) rec.output(Buffer.from([byte]))
  rec.output(Buffer.from('Grüße'))
  await rec.close()
  t.same(events(path), [['o', 'price: '], ['o', '€ '], ['o', '🦊'], ['o', 'Grüße']])
  t.notMatch(readFileSync(path, 'utf8'), '\ufffd', 'no replacement characters')
})

t.test('resizes become "r" events of the form WxH, between the output around them', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() })
  rec.output(Buffer.from('before'))
  rec.resize(100, 30)
  rec.output(Buffer.from('after'))
  rec.resize(80, 24)
  await rec.close()
  t.same(events(path), [['o', 'before'], ['r', '100x30'], ['o', 'after'], ['r', '80x24']])
})

t.test('event times are seconds since the session started, in order', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const startMs = Date.now() - 5000
  const rec = startRecording(path, { ...header, startMs })
  rec.output(Buffer.from('x'))
  await new Promise((resolve) => setTimeout(resolve, 30))
  rec.resize(1, 1)
  await rec.close()
  const [a, b] = (lines(path).slice(1) as Array<[number, string, string]>).map(([s]) => s)
  t.ok(a !== undefined && a >= 5 && a < 60, `first event at ${a} s`)
  t.ok(a !== undefined && b !== undefined && b - a >= 0.02, `second event ${b} s comes later`)
  t.equal(Math.round((a ?? 0) * 1e6) / 1e6, a, 'at most microsecond precision')
})

t.test('close writes out an incomplete character at the end, and everything before it', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() })
  for (let i = 0; i < 1000; i++) rec.output(Buffer.from(`line ${i}\n`))
  rec.output(Buffer.from('€').subarray(0, 2))
  await rec.close()
  const evs = events(path)
  t.equal(evs.length, 1001)
  t.same(evs[999], ['o', 'line 999\n'])
  t.same(evs[1000], ['o', '\ufffd'])
})

t.test('the recording is readable by root only, in a directory it creates', async (t) => {
  const dir = join(t.testdir(), 'recordings', 'alice')
  const path = join(dir, 'a.cast')
  await startRecording(path, header).close()
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.equal(statSync(dir).mode & 0o777, 0o700)
})

t.test('an existing file is never overwritten or appended to', async (t) => {
  const path = join(t.testdir({ 'a.cast': 'EARLIER RECORDING\n' }), 'a.cast')
  await promisify(execFile)(process.execPath, [RECORD_ONCE, path]).catch(() => undefined)
  t.equal(readFileSync(path, 'utf8'), 'EARLIER RECORDING\n')
})

t.test('the child that records is itself sound: it writes a new file', async (t) => {
  const path = join(t.testdir(), 'fresh.cast')
  await promisify(execFile)(process.execPath, [RECORD_ONCE, path])
  t.same(events(path), [['o', 'NEW OUTPUT\n']])
})

t.test('a recording that cannot be written reports it and never throws into the session', async (t) => {
  const dir = t.testdir({ 'taken.cast': 'OLD\n' })
  const errors: Error[] = []
  const r = startRecording(join(dir, 'taken.cast'), { cols: 80, rows: 24, term: 'xterm', title: 't', startMs: Date.now() }, (err) => errors.push(err))
  r.output(Buffer.from('hello'))
  r.resize(100, 30)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await r.close()
  t.equal(errors.length, 1)
  t.match(errors[0], { code: 'EEXIST' })
  t.equal(readFileSync(join(dir, 'taken.cast'), 'utf8'), 'OLD\n', 'the existing file is untouched')
})

t.test('without a TTY, input becomes "i" events between the output around it', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() })
  rec.input(Buffer.from('ls\n'))
  rec.output(Buffer.from('file\n'))
  rec.input(Buffer.from('€').subarray(0, 1))
  rec.input(Buffer.from('€').subarray(1))
  await rec.close()
  t.same(events(path), [['i', 'ls\n'], ['o', 'file\n'], ['i', '€']])
})

t.test('at its cap a recording stops, says it was cut and why, and reports it once', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const cuts: unknown[] = []
  const rec = startRecording(path, { ...header, startMs: Date.now() }, () => {}, { maxBytes: 4096, scope: 'session', onCut: (c) => cuts.push(c) })
  for (let i = 0; i < 500; i++) rec.output(Buffer.from(`line ${i} ${'x'.repeat(40)}\r\n`))
  rec.resize(10, 10)
  const summary = await rec.close()
  const size = statSync(path).size
  t.ok(size <= 4096, `the file stays under the cap (${size} bytes)`)
  t.same(summary, { bytes: size, cut: true })
  const evs = events(path)
  const [marker, note] = evs.slice(-2)
  t.same(marker?.[0], 'm')
  t.match(marker?.[1], /^bastion: recording cut at \d+ bytes: this session's recording reached its cap \(4096 bytes\); the session went on unrecorded$/)
  t.same(note, ['o', `\r\n[${marker?.[1] ?? ''}]\r\n`], 'a player shows it too')
  t.same(evs.slice(0, 3).map(([k]) => k), ['o', 'o', 'o'], 'what came before the cap is there')
  t.notOk(evs.some(([k]) => k === 'r'), 'nothing after the cut')
  t.equal(cuts.length, 1)
  t.match(cuts[0], { maxBytes: 4096, scope: 'session' })
})

t.test('one chunk bigger than the cap is kept up to the cap: the recording still holds the start of the session', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() }, () => {}, { maxBytes: 4096, scope: 'session', onCut: () => {} })
  const big = Array.from({ length: 3000 }, (_, i) => `line ${i + 1} of the output\r\n`).join('')
  rec.output(Buffer.from(big))
  rec.output(Buffer.from('after-the-cap'))
  const summary = await rec.close()
  t.ok(summary.bytes <= 4096, `under the cap (${summary.bytes} bytes)`)
  t.equal(summary.bytes, statSync(path).size)
  const evs = events(path)
  t.same(evs.map(([k]) => k), ['o', 'm', 'o'])
  t.ok(big.startsWith(evs[0]?.[1] ?? 'x'), 'the start of the chunk, as it came')
  t.match(evs[0]?.[1], /^line 1 of the output\r\nline 2 of the output/)
  t.ok((evs[0]?.[1].length ?? 0) > 2000, 'as much of it as fits')
  t.notMatch(readFileSync(path, 'utf8'), 'after-the-cap')
})

t.test('the part of a chunk that fits never ends inside a character', async (t) => {
  const line = (d: string): string => JSON.stringify([1.5, 'o', d]) + '\n'
  const text = 'ab😀cd'
  // Room for three bytes more than 'ab' takes: not enough for the emoji (four), and never half of it.
  const room = Buffer.byteLength(line('ab')) + 3
  t.equal(fittingPrefix(text, line, room), 'ab')
  t.equal(fittingPrefix(text, line, Buffer.byteLength(line('ab😀'))), 'ab😀')
  t.equal(fittingPrefix(text, line, Buffer.byteLength(line(text)) + 10), text, 'all of it when it fits')
  t.equal(fittingPrefix(text, line, 3), '', 'nothing when not even an empty line fits')
})

t.test('a recording with no room left under the user\'s cap says so at once', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() }, () => {}, { maxBytes: 0, scope: 'user', onCut: () => {} })
  rec.output(Buffer.from('secret work'))
  t.same(await rec.close(), { bytes: statSync(path).size, cut: true })
  const evs = events(path)
  t.equal(evs.length, 2)
  t.match(evs[0]?.[1], /the user's recordings reached their cap \(0 bytes\)/)
  t.notMatch(readFileSync(path, 'utf8'), 'secret work')
})

t.test('under its cap a recording is whole and not cut', async (t) => {
  const path = join(t.testdir(), 'a.cast')
  const rec = startRecording(path, { ...header, startMs: Date.now() }, () => {}, { maxBytes: 1 << 20, scope: 'session', onCut: () => t.fail('not cut') })
  rec.output(Buffer.from('small'))
  t.match(await rec.close(), { cut: false })
  t.same(events(path), [['o', 'small']])
})
