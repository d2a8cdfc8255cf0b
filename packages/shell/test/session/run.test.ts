// The relay between the login shell's frames and the command: input, EOF and resizes
// go in, output comes out byte-exact and in order, the broker's limits end a session
// with a message and a kill, and a client that goes away ends it too.
import t from 'tap'
import { createServer, connect, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { encode, encodeJson, FrameDecoder, frameChannel, type Frame } from '../../src/protocol/frame.ts'
import { relay, spokenDuration } from '../../src/session/run.ts'
import type { Backend } from '../../src/session/backend.ts'
import type { Recorder } from '../../src/session/recorder.ts'
import { silentLogger } from '../fixtures/log.ts'

// A connected pair of real Unix sockets: the broker's end and the login shell's.
async function pair (t: { teardown (fn: () => void): void }): Promise<{ broker: Socket, client: Socket }> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-relay-'))
  const path = join(dir, 's')
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer((s) => { server.close(); resolve(s) })
    server.listen(path)
  })
  await new Promise((r) => setTimeout(r, 10))
  const client = connect(path)
  const broker = await accepted
  t.teardown(() => { broker.destroy(); client.destroy(); rmSync(dir, { recursive: true, force: true }) })
  return { broker, client }
}

// What the login shell receives, frame by frame.
function received (client: Socket): Frame[] {
  const d = new FrameDecoder()
  const out: Frame[] = []
  client.on('data', (c: Buffer) => out.push(...d.push(c)))
  return out
}

interface FakeBackend extends Backend {
  input: Buffer[]
  inputEnded: boolean
  resizes: Array<[number, number]>
  kills: number
  // Makes the command write, then exit with code.
  output (stream: 1 | 2, data: string | Buffer): void
  exit (code: number): void
}

function fakeBackend (): FakeBackend {
  let out: Writable | undefined
  let err: Writable | undefined
  let finish: ((code: number) => void) | undefined
  const b: FakeBackend = {
    kind: 'agent',
    pid: 7,
    input: [],
    inputEnded: false,
    resizes: [],
    kills: 0,
    stdin: new Writable({
      write (chunk: Buffer, _e, cb) { b.input.push(Buffer.from(chunk)); cb() },
      final (cb) { b.inputEnded = true; cb() }
    }),
    run (stdout, stderr) { out = stdout; err = stderr; return new Promise((resolve) => { finish = resolve }) },
    resize (cols, rows) { b.resizes.push([cols, rows]) },
    kill () { b.kills++; finish?.(137); return Promise.resolve() },
    output (stream, data) { (stream === 1 ? out : err)?.write(data) },
    exit (code) { finish?.(code) }
  }
  return b
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms))
const limits = { idleMs: 0, maxMs: 0 }

t.test('input, EOF and output pass through in order and byte-exact; the exit code comes back', async (t) => {
  const { broker, client } = await pair(t)
  const got = received(client)
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  const binary = Buffer.from([0, 255, 10, 13, 27, 128])
  client.write(Buffer.concat([encode('0', 'line one\n'), encode('0', binary), encode('E')]))
  await tick()
  t.same(Buffer.concat(backend.input), Buffer.concat([Buffer.from('line one\n'), binary]))
  t.ok(backend.inputEnded, 'EOF reached the command without a TTY')
  backend.output(1, 'to-out')
  backend.output(2, 'to-err')
  backend.output(1, binary)
  await tick()
  backend.exit(42)
  t.same(await done, { exitCode: 42, reason: 'exited' })
  await tick()
  t.same(got.map((f) => [f.type, f.payload.toString('hex')]), [['1', Buffer.from('to-out').toString('hex')], ['2', Buffer.from('to-err').toString('hex')], ['1', binary.toString('hex')]])
})

// A recorder that lists what it was given, as o:, i: and r: entries.
function fakeRecorder (): { recorder: Recorder, recorded: string[] } {
  const recorded: string[] = []
  const recorder: Recorder = { output: (c) => recorded.push(`o:${c.toString()}`), input: (c) => recorded.push(`i:${c.toString()}`), resize: (c, r) => recorded.push(`r:${c}x${r}`), close: async () => ({ bytes: 0, cut: false }) }
  return { recorder, recorded }
}

t.test('with a TTY, EOF from the client is ignored, resizes reach the command and the recording, and output is recorded', async (t) => {
  const { broker, client } = await pair(t)
  const backend = fakeBackend()
  const { recorder, recorded } = fakeRecorder()
  const done = relay(backend, { channel: frameChannel(broker), tty: true }, limits, silentLogger(), recorder)
  client.write(Buffer.concat([encodeJson('W', { cols: 120, rows: 40 }), encodeJson('W', { cols: 0, rows: 40 }), encode('E')]))
  await tick()
  t.same(backend.resizes, [[120, 40]], 'the bad size is dropped')
  t.notOk(backend.inputEnded, 'no EOF with a TTY')
  backend.output(1, 'prompt$ ')
  await tick()
  backend.exit(0)
  await done
  t.same(recorded, ['r:120x40', 'o:prompt$ '], 'with a TTY the input is not recorded: the terminal echoes it')
})

t.test('without a TTY, input, output and errors are all recorded', async (t) => {
  const { broker, client } = await pair(t)
  const backend = fakeBackend()
  const { recorder, recorded } = fakeRecorder()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger(), recorder)
  client.write(encode('0', Buffer.from('ls\n')))
  await tick()
  backend.output(1, 'file\n')
  backend.output(2, 'oops\n')
  await tick()
  backend.exit(0)
  await done
  t.same(recorded, ['i:ls\n', 'o:file\n', 'o:oops\n'])
})

t.test('a login shell that goes away ends the session as client-gone and kills the command', async (t) => {
  const { broker, client } = await pair(t)
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  await tick()
  client.destroy()
  t.same(await done, { exitCode: 137, reason: 'client-gone' })
  t.equal(backend.kills, 1)
})

t.test('an unexpected frame from the login shell ends the session', async (t) => {
  const { broker, client } = await pair(t)
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  client.write(encodeJson('H', { v: 1, uid: 0 }))
  t.match(await done, { reason: 'client-gone' })
  t.equal(backend.kills, 1)
})

t.test('an idle session ends with a message and a kill; input and output count as activity', async (t) => {
  const { broker, client } = await pair(t)
  const got = received(client)
  const backend = fakeBackend()
  const started = Date.now()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, { idleMs: 300, maxMs: 0 }, silentLogger())
  await tick(200)
  client.write(encode('0', 'x'))
  await tick(200)
  backend.output(1, 'y')
  const result = await done
  await tick()
  t.same(result, { exitCode: 137, reason: 'idle' })
  t.ok(Date.now() - started >= 650, 'each activity pushed the end back')
  t.ok(got.some((f) => f.type === '2' && /^bastion: session ended after 1 second without activity\n$/.test(f.payload.toString())), 'the user is told why')
})

t.test('a session past its maximum length ends with a message, however busy', async (t) => {
  const { broker, client } = await pair(t)
  const got = received(client)
  const backend = fakeBackend()
  const chatter = setInterval(() => backend.output(1, 'busy'), 20)
  t.teardown(() => clearInterval(chatter))
  const result = await relay(backend, { channel: frameChannel(broker), tty: true }, { idleMs: 0, maxMs: 200 }, silentLogger())
  t.same(result, { exitCode: 137, reason: 'max-length' })
  await tick()
  t.ok(got.some((f) => f.type === '2' && f.payload.toString() === '\r\nbastion: session reached its maximum length\r\n'), 'with a TTY the message starts on a fresh line')
})

t.test('a hang-up of the worker ends the session, even one that came before the relay', async (t) => {
  for (const early of [false, true]) {
    const { broker } = await pair(t)
    const backend = fakeBackend()
    const hangUp = new AbortController()
    if (early) hangUp.abort()
    const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger(), undefined, hangUp.signal)
    if (!early) { await tick(); hangUp.abort() }
    t.same(await done, { exitCode: 137, reason: 'hang-up' }, early ? 'early' : 'during')
  }
})

t.test('a command whose exit status was lost ends with 255', async (t) => {
  const { broker } = await pair(t)
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  backend.exit(-1)
  t.same(await done, { exitCode: 255, reason: 'exited' })
})

t.test('output waits while the login shell does not read, and none is lost', async (t) => {
  const { broker, client } = await pair(t)
  client.pause()
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  const chunk = Buffer.alloc(64 * 1024, 7)
  let accepted = 0
  for (let i = 0; i < 64; i++) { backend.output(1, chunk); accepted++ }
  await tick(100)
  const d = new FrameDecoder()
  let bytes = 0
  client.on('data', (c: Buffer) => { for (const f of d.push(c)) bytes += f.payload.length })
  client.resume()
  await tick(300)
  backend.exit(0)
  await done
  t.equal(bytes, accepted * chunk.length, '4 MiB arrived in full')
})

t.test('input waits while the command does not read it, and none is lost', async (t) => {
  const { broker, client } = await pair(t)
  const backend = fakeBackend()
  let taken = 0
  const release: Array<() => void> = []
  Object.assign(backend, { stdin: new Writable({ highWaterMark: 1024, write (c: Buffer, _e, cb) { taken += c.length; release.push(cb) } }) })
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger())
  for (let i = 0; i < 50; i++) client.write(encode('0', Buffer.alloc(4096, 1)))
  await tick(100)
  t.equal(taken, 4096, 'one chunk is taken; the rest waits on the socket')
  while (taken < 50 * 4096) { release.shift()?.(); await tick(1) }
  t.equal(taken, 50 * 4096, 'all of it once the command reads')
  backend.exit(0)
  await done
})

t.test('output still waiting for a slow client goes out before the session ends: nothing is lost behind the exit status', async (t) => {
  const { broker, client } = await pair(t)
  client.pause()
  const backend = fakeBackend()
  let finished = false
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, limits, silentLogger()).then((r) => { finished = true; return r })
  for (let i = 0; i < 64; i++) backend.output(1, Buffer.alloc(64 * 1024, 3))
  backend.exit(0)
  await tick(100)
  t.notOk(finished, 'the relay waits for the output, not only for the exit')
  // As login() does: the exit status goes out the moment the relay ends.
  void done.then((r) => broker.end(encodeJson('X', { code: r.exitCode })))
  const d = new FrameDecoder()
  let bytes = 0
  const beforeExit = new Promise<number>((resolve) => {
    client.on('data', (c: Buffer) => { for (const f of d.push(c)) { if (f.type === 'X') resolve(bytes); else bytes += f.payload.length } })
  })
  client.resume()
  t.same(await done, { exitCode: 0, reason: 'exited' })
  t.equal(await beforeExit, 64 * 64 * 1024, 'every byte reached the client before the exit status')
})

t.test('a limit reached while the output drains ends the wait: the client is cut off', async (t) => {
  const { broker, client } = await pair(t)
  client.pause()
  const backend = fakeBackend()
  const done = relay(backend, { channel: frameChannel(broker), tty: false }, { idleMs: 300, maxMs: 0 }, silentLogger())
  for (let i = 0; i < 64; i++) backend.output(1, Buffer.alloc(64 * 1024, 3))
  backend.exit(0)
  t.same(await done, { exitCode: 0, reason: 'idle' }, 'the command\'s own status, and why the session ended')
  t.ok(broker.destroyed, 'the client that never read is cut off')
})

t.test('the idle limit is spoken in minutes when whole, in seconds otherwise, never as 0 minutes', async (t) => {
  t.equal(spokenDuration(300), '1 second')
  t.equal(spokenDuration(1000), '1 second')
  t.equal(spokenDuration(45_000), '45 seconds')
  t.equal(spokenDuration(60_000), '1 minute')
  t.equal(spokenDuration(3_600_000), '60 minutes')
  t.equal(spokenDuration(90_000), '90 seconds')
})
