// Docker's multiplexed exec stream split back into stdout and stderr, byte for byte, with
// the container's output paused while the user's side cannot keep up.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { setImmediate as tick } from 'node:timers/promises'
import { demux } from '../../src/session/demux.ts'
import { frame, sink, source, STDERR, STDOUT } from '../fixtures/streams.ts'

// Lets queued stream events (data, drain, resume) run.
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await tick()
}

t.test('stdout frames go to stdout and stderr frames to stderr', async (t) => {
  const src = source()
  const out = sink()
  const err = sink()
  demux(src, out, err)
  src.push(Buffer.concat([frame(STDOUT, 'hello '), frame(STDERR, 'oops\n'), frame(STDOUT, 'world\n'), frame(STDERR, 'again')]))
  await settle()
  t.equal(out.bytes().toString(), 'hello world\n')
  t.equal(err.bytes().toString(), 'oops\nagain')
})

t.test('a stdin-type frame (stream 0) is written to stdout, as Docker documents', async (t) => {
  const src = source()
  const out = sink()
  const err = sink()
  demux(src, out, err)
  src.push(Buffer.concat([frame(0, 'echoed'), frame(STDERR, 'e')]))
  await settle()
  t.equal(out.bytes().toString(), 'echoed')
  t.equal(err.bytes().toString(), 'e')
})

t.test('frames split across chunks at every possible byte are reassembled exactly', async (t) => {
  const stream = Buffer.concat([frame(STDOUT, 'first'), frame(STDERR, 'second'), frame(STDOUT, Buffer.from([0, 1, 2, 255])), frame(STDERR, 'x')])
  for (let cut = 1; cut < stream.length; cut++) {
    const src = source()
    const out = sink()
    const err = sink()
    demux(src, out, err)
    src.push(stream.subarray(0, cut))
    await settle()
    src.push(stream.subarray(cut))
    await settle()
    t.same(out.bytes(), Buffer.concat([Buffer.from('first'), Buffer.from([0, 1, 2, 255])]), `stdout, cut at ${cut}`)
    t.equal(err.bytes().toString(), 'secondx', `stderr, cut at ${cut}`)
  }
})

t.test('a stream fed one byte at a time comes out whole', async (t) => {
  const stream = Buffer.concat([frame(STDOUT, 'abc'), frame(STDERR, 'def'), frame(STDOUT, 'ghi')])
  const src = source()
  const out = sink()
  const err = sink()
  demux(src, out, err)
  for (const byte of stream) src.push(Buffer.from([byte]))
  await settle()
  t.equal(out.bytes().toString(), 'abcghi')
  t.equal(err.bytes().toString(), 'def')
})

t.test('an incomplete frame is held back until its last byte arrives', async (t) => {
  const src = source()
  const out = sink()
  demux(src, out, sink())
  const f = frame(STDOUT, 'complete')
  src.push(f.subarray(0, f.length - 1))
  await settle()
  t.equal(out.bytes().length, 0)
  src.push(f.subarray(f.length - 1))
  await settle()
  t.equal(out.bytes().toString(), 'complete')
})

t.test('zero-length frames are passed over without losing the frames around them', async (t) => {
  const src = source()
  const out = sink()
  const err = sink()
  const counted: number[] = []
  demux(src, out, err, (n) => counted.push(n))
  src.push(Buffer.concat([frame(STDOUT, ''), frame(STDOUT, 'a'), frame(STDERR, ''), frame(STDERR, 'b'), frame(STDOUT, '')]))
  src.push(frame(STDOUT, ''))
  src.push(frame(STDOUT, 'c'))
  await settle()
  t.equal(out.bytes().toString(), 'ac')
  t.equal(err.bytes().toString(), 'b')
  t.same(counted, [0, 1, 0, 1, 0, 0, 1], 'onData sees each frame\'s payload length')
})

t.test('large frames arrive byte-exact, whatever the chunking', async (t) => {
  const big = randomBytes(3 * 1024 * 1024 + 17)
  const bigErr = randomBytes(1024 * 1024)
  const stream = Buffer.concat([frame(STDOUT, big), frame(STDERR, bigErr), frame(STDOUT, 'tail')])
  const src = source()
  const out = sink()
  const err = sink()
  let total = 0
  demux(src, out, err, (n) => { total += n })
  for (let at = 0; at < stream.length; at += 65521) src.push(stream.subarray(at, at + 65521))
  await settle()
  t.ok(out.bytes().equals(Buffer.concat([big, Buffer.from('tail')])), 'stdout is byte-exact')
  t.ok(err.bytes().equals(bigErr), 'stderr is byte-exact')
  t.equal(total, big.length + bigErr.length + 4)
})

t.test('a full stdout pauses the source until it drains, and nothing is lost', async (t) => {
  const src = source()
  const out = sink(4)
  const err = sink()
  demux(src, out, err)
  out.hold = true
  src.push(frame(STDOUT, 'more than four bytes'))
  await settle()
  t.ok(src.isPaused(), 'the source is paused while stdout is full')
  src.push(frame(STDOUT, ' and more'))
  src.push(frame(STDERR, 'late'))
  await settle()
  t.equal(out.bytes().toString(), 'more than four bytes', 'nothing more is written while paused')
  t.equal(err.bytes().length, 0, 'stderr waits too: the frames are in order on one stream')
  out.release()
  await settle()
  t.notOk(src.isPaused(), 'the source resumes on drain')
  t.equal(out.bytes().toString(), 'more than four bytes and more')
  t.equal(err.bytes().toString(), 'late')
})

t.test('a full stderr pauses the source too', async (t) => {
  const src = source()
  const out = sink()
  const err = sink(4)
  demux(src, out, err)
  err.hold = true
  src.push(Buffer.concat([frame(STDERR, 'a long error line'), frame(STDOUT, 'same chunk')]))
  await settle()
  t.ok(src.isPaused())
  t.equal(out.bytes().toString(), 'same chunk', 'frames already received are still delivered')
  src.push(frame(STDOUT, 'next chunk'))
  await settle()
  t.equal(out.bytes().toString(), 'same chunk')
  err.release()
  await settle()
  t.notOk(src.isPaused())
  t.equal(out.bytes().toString(), 'same chunknext chunk')
  t.equal(err.bytes().toString(), 'a long error line')
})

t.test('a writer that keeps up never pauses the source', async (t) => {
  const src = source()
  const out = sink()
  demux(src, out, sink())
  let paused = 0
  src.on('pause', () => { paused++ })
  for (let i = 0; i < 100; i++) src.push(frame(STDOUT, `line ${i}\n`))
  await settle()
  t.equal(paused, 0)
  t.equal(out.bytes().toString().split('\n').length, 101)
})

t.test('under sustained backpressure a slow reader still gets every byte in order', async (t) => {
  const payload = randomBytes(512 * 1024)
  const stream = Buffer.concat(Array.from({ length: 64 }, (_, i) => frame(i % 5 === 0 ? STDERR : STDOUT, payload.subarray(i * 8192, (i + 1) * 8192))))
  const src = source()
  const out = sink(8192)
  const err = sink(8192)
  demux(src, out, err)
  out.hold = true
  err.hold = true
  for (let at = 0; at < stream.length; at += 10000) src.push(stream.subarray(at, at + 10000))
  src.push(null)
  let pauses = 0
  src.on('pause', () => { pauses++ })
  // Drain one side at a time, as a slow terminal would.
  for (let i = 0; i < 200 && !src.readableEnded; i++) {
    await settle()
    out.release(); out.hold = true
    await settle()
    err.release(); err.hold = true
  }
  out.release()
  err.release()
  await settle()
  t.ok(pauses > 0, `the source was paused ${pauses} times`)
  const expectOut = Buffer.concat(Array.from({ length: 64 }, (_, i) => i % 5 === 0 ? Buffer.alloc(0) : payload.subarray(i * 8192, (i + 1) * 8192)))
  const expectErr = Buffer.concat(Array.from({ length: 64 }, (_, i) => i % 5 === 0 ? payload.subarray(i * 8192, (i + 1) * 8192) : Buffer.alloc(0)))
  t.ok(out.bytes().equals(expectOut), 'stdout is byte-exact')
  t.ok(err.bytes().equals(expectErr), 'stderr is byte-exact')
})
