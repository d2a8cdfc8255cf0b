// The frame codec: byte for byte what the Go client and agent read and write (the
// shared vectors), refusal of anything malformed, and a channel that never loses a
// frame while paused.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Duplex, PassThrough } from 'node:stream'
import type { BorrowedReads } from '../../src/protocol/borrowed-reads.ts'
import { encode, encodeJson, FrameDecoder, frameChannel, frameWriter, holding, json, MAX_PAYLOAD, nextFrame, tellsWhenWritten, whenWritten, windowSize, ProtocolError, type Frame, type FrameType } from '../../src/protocol/frame.ts'

const VECTORS = fileURLToPath(new URL('../../native/testdata/frames.hex', import.meta.url))

const vectors = readFileSync(VECTORS, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
  const [name, type, payload, frame] = line.split(' ')
  return { name: name as string, type: type as FrameType, payload: Buffer.from(payload === '-' ? '' : payload as string, 'hex'), frame: Buffer.from(frame as string, 'hex') }
})

t.test('the shared vectors: each encodes to its bytes and decodes back', async (t) => {
  t.ok(vectors.length >= 10, 'the file has vectors')
  for (const v of vectors) {
    t.same(encode(v.type, v.payload), v.frame, `${v.name} encodes`)
    const decoded = new FrameDecoder().push(v.frame)
    t.same(decoded.map((f) => [f.type, f.payload]), [[v.type, v.payload]], `${v.name} decodes`)
  }
})

t.test('every frame type of the protocol is among the vectors', async (t) => {
  const seen = new Set(vectors.map((v) => v.type))
  for (const type of ['H', 'P', 'R', 'S', 'F', '0', 'E', 'W', '1', '2', 'K', 'X']) t.ok(seen.has(type as FrameType), type)
})

t.test('frames split at every byte boundary decode the same', async (t) => {
  const all = Buffer.concat(vectors.map((v) => v.frame))
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const d = new FrameDecoder()
    const out: Frame[] = []
    for (let at = 0; at < all.length; at += size) out.push(...d.push(all.subarray(at, at + size)))
    t.same(out.map((f) => f.type), vectors.map((v) => v.type), `chunks of ${size}`)
    t.equal(d.buffered, 0)
  }
})

t.test('a 1 MiB frame in 64-byte chunks is copied about once, not once per chunk', async (t) => {
  let copied = 0
  const d = new FrameDecoder({ onCopy: (bytes) => { copied += bytes } })
  const payload = Buffer.alloc(MAX_PAYLOAD, 7)
  const wire = encode('1', payload)
  const out: Frame[] = []
  for (let at = 0; at < wire.length; at += 64) out.push(...d.push(wire.subarray(at, at + 64)))
  t.equal(out.length, 1)
  t.ok((out[0] as Frame).payload.equals(payload), 'the payload arrives whole')
  t.ok(copied >= MAX_PAYLOAD, `the frame was joined (${copied} bytes copied)`)
  // Re-joining what is buffered on every push copies about size²/(2·64) bytes: 8 GiB.
  t.ok(copied <= 2 * wire.length, `${copied} bytes copied for a ${wire.length}-byte frame`)
  t.equal(d.buffered, 0)
})

t.test('streaming, data frames come in pieces as their bytes arrive, copying none, and control frames whole', async (t) => {
  let copied = 0
  const d = new FrameDecoder({ streamData: true, onCopy: (bytes) => { copied += bytes } })
  const out = Buffer.alloc(200 * 1024)
  for (let i = 0; i < out.length; i++) out[i] = i % 251
  // Frames of 64 KiB and 5 bytes of header, in reads of 64 KiB: nearly every one spans two.
  const parts: Buffer[] = []
  for (let at = 0; at < out.length; at += 65536) parts.push(encode('1', out.subarray(at, at + 65536)))
  const wire = Buffer.concat([...parts, encode('2', 'err'), encodeJson('X', { code: 3 })])
  const got: Frame[] = []
  for (const size of [65536, 3, 65536 * 3]) {
    got.length = 0
    copied = 0
    for (let at = 0; at < wire.length; at += size) got.push(...d.push(wire.subarray(at, at + size)))
    const stdout = Buffer.concat(got.filter((f) => f.type === '1').map((f) => f.payload))
    t.ok(stdout.equals(out), `reads of ${size}: every byte, in order`)
    t.same(got.filter((f) => f.type !== '1').map((f) => [f.type, f.payload.toString()]), [['2', 'err'], ['X', '{"code":3}']], `reads of ${size}: then the rest`)
    t.ok(copied <= 5 * got.length, `reads of ${size}: no payload copied (${copied} bytes of headers)`)
    t.equal(d.buffered, 0)
  }
  d.push(encode('1', 'abcdef').subarray(0, 7))
  t.equal(d.buffered, 4, 'the rest of a frame handed on in part still counts as unfinished')
})

t.test('a borrowed decoder copies what it keeps between reads, and control frames, never data it hands on', async (t) => {
  let copied = 0
  const d = new FrameDecoder({ streamData: true, borrowed: true, onCopy: (b) => { copied += b } })
  const wire = Buffer.concat([encode('X', '{"code":7}'), encode('1', 'hello'), encode('W', '{"cols":80,"rows":24}')])
  // One buffer, overwritten after every push, fed 3 bytes at a time.
  const reused = Buffer.alloc(3)
  const frames: Array<{ type: string, payload: string }> = []
  for (let at = 0; at < wire.length; at += 3) {
    const n = wire.copy(reused, 0, at, at + 3)
    for (const f of d.push(reused.subarray(0, n))) frames.push({ type: f.type, payload: f.payload.toString() })
    reused.fill(0x21)
  }
  t.same(frames.filter((f) => f.type !== '1'), [{ type: 'X', payload: '{"code":7}' }, { type: 'W', payload: '{"cols":80,"rows":24}' }], 'control frames whole and intact')
  t.equal(frames.filter((f) => f.type === '1').map((f) => f.payload).join(''), 'hello', 'the data, in pieces as it came')
  t.ok(copied > 0, 'what it kept was copied')
})

t.test('frames that arrive whole within one chunk are not copied at all', async (t) => {
  let copied = 0
  const d = new FrameDecoder({ onCopy: (bytes) => { copied += bytes } })
  const wire = Buffer.concat([encode('1', 'a'), encode('2', 'bb'), encode('X', '{"code":0}')])
  t.same(d.push(wire).map((f) => f.payload.toString()), ['a', 'bb', '{"code":0}'])
  t.equal(copied, 0)
})

t.test('an unknown type and an oversized length are protocol errors', async (t) => {
  t.throws(() => new FrameDecoder().push(Buffer.from([0x5a, 0, 0, 0, 0])), /unknown frame type 0x5a/)
  const head = Buffer.from([0x31, 0, 0, 0, 0])
  head.writeUInt32BE(MAX_PAYLOAD + 1, 1)
  t.throws(() => new FrameDecoder().push(head), /over 1048576/)
  t.throws(() => encode('1', Buffer.alloc(MAX_PAYLOAD + 1)), ProtocolError)
  t.equal(encode('1', Buffer.alloc(MAX_PAYLOAD)).length, MAX_PAYLOAD + 5, 'exactly the limit is fine')
})

t.test('json() wants an object', async (t) => {
  t.same(json({ type: 'X', payload: Buffer.from('{"code":3}') }), { code: 3 })
  for (const bad of ['', 'nope', '[1]', 'null', '42', '"x"']) t.throws(() => json({ type: 'R', payload: Buffer.from(bad) }), ProtocolError, JSON.stringify(bad))
})

t.test('a channel holds frames that arrive before anyone listens', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  wire.write(encode('1', 'early'))
  await new Promise((r) => setImmediate(r))
  const got: string[] = []
  ch.on('frame', (f) => got.push(f.payload.toString()))
  ch.resume()
  await new Promise((r) => setImmediate(r))
  t.same(got, ['early'])
})

t.test('a channel delivers frames in order, holds them while paused, and loses none', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const got: string[] = []
  ch.on('frame', (f) => got.push(f.payload.toString()))
  ch.resume()
  wire.write(Buffer.concat(['a', 'b', 'c'].map((s) => encode('1', s))))
  await new Promise((r) => setImmediate(r))
  t.same(got, ['a', 'b', 'c'])
  ch.pause()
  wire.write(Buffer.concat([encode('1', 'd'), encode('1', 'e')]))
  await new Promise((r) => setImmediate(r))
  t.same(got, ['a', 'b', 'c'], 'nothing while paused')
  ch.resume()
  await new Promise((r) => setImmediate(r))
  t.same(got, ['a', 'b', 'c', 'd', 'e'], 'all of it after resume')
})

t.test('a channel ends after its last frame, and fails on a connection cut inside a frame', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const events: string[] = []
  ch.on('frame', (f) => events.push(f.type))
  ch.on('end', () => events.push('end'))
  ch.resume()
  wire.end(encodeJson('X', { code: 0 }))
  await new Promise((r) => setImmediate(r))
  t.same(events, ['X', 'end'])

  const cut = new PassThrough()
  const ch2 = frameChannel(cut)
  const err = new Promise<Error>((resolve) => ch2.once('error', resolve))
  ch2.on('end', () => t.fail('no clean end'))
  ch2.resume()
  cut.end(encode('1', 'abcdef').subarray(0, 7))
  t.match(await err, /closed inside a frame/)
})

t.test('a channel reports garbage as an error and destroys the socket', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const err = new Promise<Error>((resolve) => ch.once('error', resolve))
  ch.resume()
  wire.write(Buffer.from('GET / HTTP/1.1\r\n'))
  t.type(await err, ProtocolError)
  t.ok(wire.destroyed)
  t.equal(ch.send('1', 'x'), false, 'nothing is sent on a destroyed socket')
})

t.test('nextFrame gives the expected frame and leaves the rest queued', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  wire.write(Buffer.concat([encodeJson('R', { tty: false }), encode('0', 'early input')]))
  const r = await nextFrame(ch, ['R'], 1000, 'the request')
  t.same(json(r), { tty: false })
  const early = await nextFrame(ch, ['0'], 1000, 'input')
  t.equal(early.payload.toString(), 'early input', 'the frame after it was kept')
})

t.test('nextFrame refuses another type, times out, and reports a closed connection', async (t) => {
  const a = new PassThrough()
  const ca = frameChannel(a)
  a.write(encode('1', 'x'))
  await t.rejects(nextFrame(ca, ['H'], 1000, 'the hello'), /expected H for the hello, got 1/)
  await t.rejects(nextFrame(frameChannel(new PassThrough()), ['H'], 50, 'the hello'), /no the hello within 50 ms/)
  const c = new PassThrough()
  const cc = frameChannel(c)
  c.end()
  await t.rejects(nextFrame(cc, ['H'], 1000, 'the hello'), /closed before the hello/)
})

t.test('send and sendJson write frames, and report false on a destroyed socket', async (t) => {
  // A PassThrough hands what is written back to its reader: the channel reads its own frames.
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const got: string[] = []
  ch.on('frame', (f) => got.push(`${f.type}${f.payload.toString()}`))
  ch.resume()
  t.equal(ch.send('1', 'a'), true)
  t.equal(ch.sendJson('X', { code: 1 }), true)
  await new Promise((r) => setImmediate(r))
  t.same(got, ['1a', 'X{"code":1}'])
  wire.destroy()
  t.equal(ch.send('1', 'b'), false)
  t.equal(ch.sendJson('X', { code: 2 }), false)
})

t.test('a decoder counts the bytes of an unfinished frame', async (t) => {
  const d = new FrameDecoder()
  t.same(d.push(encode('1', 'hello').subarray(0, 7)), [])
  t.equal(d.buffered, 7)
  t.same(d.push(encode('1', 'hello').subarray(7)).map((f) => f.payload.toString()), ['hello'])
  t.equal(d.buffered, 0)
})

t.test('a second socket error after the first is not reported again', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const errors: Error[] = []
  ch.on('error', (e) => errors.push(e))
  ch.resume()
  wire.emit('error', new Error('first'))
  wire.emit('error', new Error('second'))
  t.same(errors.map((e) => e.message), ['first'])
})

t.test('nextFrame passes on a socket error while it waits', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const waiting = nextFrame(ch, ['H'], 1000, 'the hello')
  wire.emit('error', new Error('ECONNRESET'))
  await t.rejects(waiting, /ECONNRESET/)
})

t.test('frameWriter sends each write as data frames of at most 64 KiB, and end() runs onEnd', async (t) => {
  const wire = new PassThrough()
  const ch = frameChannel(wire)
  const got: Array<[string, number]> = []
  ch.on('frame', (f) => got.push([f.type, f.payload.length]))
  ch.resume()
  let ended = 0
  const seen: number[] = []
  const w = frameWriter(ch, '1', { onWrite: (c) => seen.push(c.length), onEnd: () => { ended++ } })
  await new Promise<void>((resolve) => w.end(Buffer.alloc(150 * 1024), () => resolve()))
  await new Promise((r) => setImmediate(r))
  t.same(got, [['1', 65536], ['1', 65536], ['1', 22528]])
  t.same(seen, [150 * 1024], 'onWrite sees the whole chunk')
  t.equal(ended, 1)
})

t.test('sendData puts the header in front of each 64 KiB of the caller\'s buffer, in one writev and without copying it', async (t) => {
  const written: Buffer[][] = []
  const wire = new Duplex({
    read () {},
    write (chunk: Buffer, _encoding, callback) { written.push([chunk]); callback() },
    writev (chunks, callback) { written.push(chunks.map((c) => c.chunk as Buffer)); callback() }
  })
  const ch = frameChannel(wire)
  const data = Buffer.alloc(150 * 1024, 7)
  t.notOk(ch.sendData('1', data), 'more than the socket\'s high-water mark waits: false, as write() says')
  await new Promise((r) => setImmediate(r))
  t.equal(written.length, 1, 'one writev')
  const parts = [data.subarray(0, 65536), data.subarray(65536, 131072), data.subarray(131072)]
  t.same(Buffer.concat(written.flat()), Buffer.concat(parts.map((p) => encode('1', p))))
  t.ok(written.flat().some((c) => c.buffer === data.buffer), 'the payload is the caller\'s memory, not a copy')
  wire.destroy()
  t.notOk(ch.sendData('1', data), 'nothing is sent once the socket is gone')
})

t.test('frameWriter drops writes once stopped or once the socket is gone, and releases a write that waited', async (t) => {
  const wire = new PassThrough({ highWaterMark: 1 })
  const ch = frameChannel(wire)
  let stop = false
  const w = frameWriter(ch, '0', { stopped: () => stop })
  // Nobody reads the wire: the first write waits for a drain that never comes.
  const first = new Promise<void>((resolve) => w.write(Buffer.alloc(1024), () => resolve()))
  let released = false
  void first.then(() => { released = true })
  await new Promise((r) => setTimeout(r, 20))
  t.notOk(released, 'the write waits while the socket is full')
  wire.destroy()
  await first
  t.ok(released, 'and is released when the socket closes')
  stop = true
  const wire2 = new PassThrough()
  const ch2 = frameChannel(wire2)
  let sent = false
  ch2.on('frame', () => { sent = true })
  ch2.resume()
  await new Promise<void>((resolve) => frameWriter(ch2, '0', { stopped: () => stop }).write('late', () => resolve()))
  await new Promise((r) => setImmediate(r))
  t.notOk(sent, 'nothing is sent once stopped')
})

t.test('a window size must be whole numbers from 1 to 10000', async (t) => {
  t.same(windowSize({ cols: 80, rows: 24 }), { cols: 80, rows: 24 })
  for (const bad of [{ cols: 0, rows: 24 }, { cols: 80.5, rows: 24 }, { cols: '80', rows: 24 }, { cols: 80 }, { cols: 10001, rows: 1 }]) {
    t.equal(windowSize(bad), undefined, JSON.stringify(bad))
  }
})

t.test('holding and whenWritten: a frameWriter holds what its socket has not taken, and says when it has', async (t) => {
  // A socket that takes one write and then holds the rest until told.
  const taken: Buffer[] = []
  let release: (() => void) | undefined
  const wire = new Duplex({
    writableHighWaterMark: 16,
    read () {},
    write (chunk: Buffer, _e, callback) { taken.push(chunk); release = callback }
  })
  const out = frameWriter(frameChannel(wire), '1')
  t.notOk(holding(out), 'nothing written, nothing held')
  let told = 0
  whenWritten(out, () => told++)
  t.equal(told, 1, 'told at once when nothing is held')
  out.write(Buffer.from('abc'))
  t.ok(holding(out), 'held while the socket has not taken it')
  whenWritten(out, () => told++)
  t.equal(told, 1, 'not yet')
  release?.()
  await new Promise((resolve) => setImmediate(resolve))
  release?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(holding(out), 'taken')
  t.equal(told, 2, 'told once it was taken')
  t.equal(Buffer.concat(taken).subarray(5).toString(), 'abc', 'the frame went out')
  out.write(Buffer.from('def'))
  whenWritten(out, () => told++)
  wire.destroy()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(told, 3, 'told when the socket closes instead')
  t.ok(tellsWhenWritten(out), 'a frameWriter can tell')
  t.notOk(tellsWhenWritten(new PassThrough()), 'another writer cannot')
  t.ok(holding(new PassThrough()), 'and counts as holding')
  t.throws(() => whenWritten(new PassThrough(), () => {}), /not a frameWriter/)
})

t.test('sendData calls back once its frames are written, and at once for no data', async (t) => {
  const out: Buffer[] = []
  const wire = new Duplex({ read () {}, write (chunk: Buffer, _e, callback) { out.push(chunk); callback() } })
  const ch = frameChannel(wire)
  let calls = 0
  t.ok(ch.sendData('1', Buffer.alloc(0), () => calls++), 'no data: nothing to wait for')
  ch.sendData('1', Buffer.alloc(70000, 1), () => calls++)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(calls, 2, 'both called back')
  t.equal(Buffer.concat(out).length, 70000 + 10, 'two frames out')
})

t.test('a channel over borrowed reads takes its chunks from them, pauses through them, and says when frames wait', async (t) => {
  const wire = new PassThrough()
  const calls: string[] = []
  const reads: BorrowedReads = {
    socket: wire as unknown as BorrowedReads['socket'],
    onChunk: undefined,
    queued: undefined,
    released: undefined,
    pause: () => { calls.push('pause') },
    resume: () => { calls.push('resume') }
  }
  t.throws(() => frameChannel(new PassThrough(), { reads }), /socket's own/, 'only over the socket they read')
  const ch = frameChannel(wire as unknown as Duplex, { streamData: true, reads })
  const got: string[] = []
  ch.on('frame', (f) => got.push(f.payload.toString()))
  ch.resume()
  reads.onChunk?.(Buffer.concat([encode('1', 'a'), encode('1', 'b')]))
  t.same(got, ['a', 'b'], 'frames from the chunks they hand on')
  t.equal(reads.queued?.(), false, 'none waits')
  ch.pause()
  reads.onChunk?.(encode('1', 'c'))
  t.equal(reads.queued?.(), true, 'a frame waits for the paused consumer')
  ch.resume()
  t.same(got, ['a', 'b', 'c'])
  t.same(calls, ['pause', 'resume', 'pause', 'resume'], 'pause and resume go through the reads')
})

t.test('a frameWriter lets go once its own writes are out, whatever else its socket still holds', async (t) => {
  const taken: Buffer[] = []
  const callbacks: Array<() => void> = []
  const wire = new Duplex({ writableHighWaterMark: 1 << 20, read () {}, write (chunk: Buffer, _e, callback) { taken.push(chunk); callbacks.push(callback) } })
  const ch = frameChannel(wire)
  const out = frameWriter(ch, '1')
  out.write(Buffer.from('mine'))
  // Someone else's frame after it, which the socket holds longer.
  ch.send('2', 'theirs')
  let told = 0
  whenWritten(out, () => told++)
  t.equal(told, 0, 'held while its frame waits')
  // The socket takes the writer's frame: its header, then its payload.
  callbacks.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(told, 0, 'held until its payload is out')
  callbacks.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(taken.at(-1)?.toString().slice(5), 'theirs', 'the other frame is the socket\'s now')
  t.ok(wire.writableLength > 0, 'the socket still holds the other frame')
  t.equal(told, 1, 'but the writer\'s own bytes are out: it lets go')
  for (const cb of callbacks.splice(0)) cb()
})
