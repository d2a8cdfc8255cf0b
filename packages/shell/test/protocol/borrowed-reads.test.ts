// Reads into a buffer used again (borrowed-reads.ts), over real Unix sockets: every byte
// arrives as it was sent however slowly the far side reads, the buffer is read into
// again only once the writes out of it have reached the kernel, a read still held by
// queued frames or an unknown consumer gets a new buffer (the decoder's copies of what
// it keeps between reads are frame.test.ts's).
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { borrowReads, READ_SIZE, FIRST_READ_SIZE } from '../../src/protocol/borrowed-reads.ts'
import { encode, FrameDecoder, frameChannel, frameWriter, holding, whenWritten, type Frame } from '../../src/protocol/frame.ts'

const dir = mkdtempSync(join(tmpdir(), 'borrowed-reads-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

// A connected pair over a Unix socket: the accepted side paused, as ownedSocket's is.
async function pair (): Promise<{ accepted: Socket, peer: Socket }> {
  const path = join(dir, `${n++}.sock`)
  const server = createServer({ pauseOnConnect: true })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const peer = connect(path)
  const accepted = await new Promise<Socket>((resolve) => server.once('connection', resolve))
  server.close()
  return { accepted, peer }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

// The agent's side: frames of random data, as bastion-agent sends them, then X.
function sendOutput (peer: Socket, bytes: number): Buffer {
  const data = randomBytes(bytes)
  for (let at = 0; at < data.length; at += 65536) peer.write(encode('1', data.subarray(at, at + 65536)))
  peer.write(encode('X', '{"code":0}'))
  return data
}

// The relay of agent.ts: output frames from a borrowed channel into a frameWriter whose
// socket a far side reads, pausing on backpressure; resolves at X.
function relay (reads: ReturnType<typeof borrowReads>, out: Socket): Promise<void> {
  const channel = frameChannel(reads.socket, { streamData: true, reads })
  const client = frameChannel(out)
  const stdout = frameWriter(client, '1')
  reads.released = (callback) => whenWritten(stdout, callback)
  return new Promise((resolve) => {
    channel.on('frame', (f: Frame) => {
      if (f.type === 'X') { resolve(); return }
      if (!stdout.write(f.payload)) { channel.pause(); stdout.once('drain', () => channel.resume()) }
    })
    channel.resume()
  })
}

// The far side: the payloads of the frames it reads, reading slowly when told to.
function farSide (socket: Socket, slow: boolean): { got: () => Buffer } {
  const decoder = new FrameDecoder()
  const parts: Buffer[] = []
  socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) parts.push(f.payload)
    if (slow) { socket.pause(); setTimeout(() => socket.resume(), 1) }
  })
  return { got: () => Buffer.concat(parts) }
}

for (const slow of [false, true]) {
  t.test(`every byte arrives as sent, the far side reading ${slow ? 'slowly' : 'at once'}`, async (t) => {
    const agent = await pair()
    const client = await pair()
    client.accepted.resume()
    const sizes: number[] = []
    const reads = borrowReads(agent.accepted, (size) => sizes.push(size))
    const far = farSide(client.peer, slow)
    const sent = sendOutput(agent.peer, 8 * 1024 * 1024)
    await relay(reads, client.accepted)
    await new Promise<void>((resolve) => { client.accepted.end(resolve) })
    await new Promise((resolve) => client.peer.once('end', resolve))
    t.equal(far.got().length, sent.length, 'as many bytes')
    t.equal(sha(far.got()), sha(sent), 'the same bytes')
    t.equal(sizes[0], FIRST_READ_SIZE, 'the first buffer is small')
    t.ok(sizes.includes(READ_SIZE), 'it grew once a read filled it')
    // 8 MiB is at least 128 reads of 64 KiB: the buffer was read into again, not replaced.
    t.ok(sizes.length <= 4, `a few buffers for 8 MiB (${sizes.length}: ${sizes.join(', ')})`)
    agent.peer.destroy()
    client.peer.destroy()
  })
}

t.test('while a write out of the buffer waits for the kernel, the socket reads nothing', async (t) => {
  const agent = await pair()
  const client = await pair()
  const reads = borrowReads(agent.accepted)
  const channel = frameChannel(reads.socket, { streamData: true, reads })
  const out = frameChannel(client.accepted)
  const stdout = frameWriter(out, '1')
  reads.released = (callback) => whenWritten(stdout, callback)
  let frames = 0
  channel.on('frame', (f) => { frames++; stdout.write(f.payload) })
  channel.resume()
  // Nobody reads the client's side: more than its kernel buffer fills and stays.
  agent.peer.write(encode('1', randomBytes(65536)))
  const big = randomBytes(4 * 1024 * 1024)
  for (let at = 0; at < big.length; at += 65536) agent.peer.write(encode('1', big.subarray(at, at + 65536)))
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.ok(holding(stdout), 'the client\'s socket holds bytes out of the read buffer')
  const before = frames
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(frames, before, 'no frame is read meanwhile')
  // The client reads: everything arrives, intact.
  const far = farSide(client.peer, false)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.notOk(holding(stdout), 'released once the client read')
  t.equal(far.got().length, 65536 + big.length, 'everything arrived')
  t.equal(sha(far.got().subarray(65536)), sha(big), 'intact')
  agent.peer.destroy()
  client.peer.destroy()
  reads.socket.destroy()
})

t.test('a read still held by frames for a paused consumer, or by a consumer that said nothing, goes into a new buffer', async (t) => {
  const agent = await pair()
  const sizes: number[] = []
  const reads = borrowReads(agent.accepted, (size) => sizes.push(size))
  const channel = frameChannel(reads.socket, { streamData: true, reads })
  const got: Buffer[] = []
  // No `released`: every read is a new buffer, and the frames kept stay intact.
  channel.on('frame', (f) => got.push(f.payload))
  channel.resume()
  const chunks = [randomBytes(1000), randomBytes(1000), randomBytes(1000)]
  for (const c of chunks) {
    agent.peer.write(encode('1', c))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(sha(Buffer.concat(got)), sha(Buffer.concat(chunks)), 'frames kept from earlier reads are intact')
  t.ok(sizes.length >= chunks.length, `a new buffer for each read (${sizes.length})`)
  // Paused: the frames of the next read wait, and the one after does not overwrite them.
  channel.pause()
  reads.released = (callback) => callback()
  const before = sizes.length
  const waiting = randomBytes(2000)
  agent.peer.write(Buffer.concat([encode('1', waiting.subarray(0, 1000)), encode('1', waiting.subarray(1000))]))
  await new Promise((resolve) => setTimeout(resolve, 50))
  got.length = 0
  channel.resume()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(sha(Buffer.concat(got)), sha(waiting), 'the frames that waited are intact')
  t.ok(sizes.length >= before, 'buffers made as needed')
  agent.peer.destroy()
  reads.socket.destroy()
})

t.test('borrowReads refuses a socket that is gone', async (t) => {
  const agent = await pair()
  agent.accepted.destroy()
  t.throws(() => borrowReads(agent.accepted), /closed/)
  agent.peer.destroy()
})
