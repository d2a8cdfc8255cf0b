// The broker's side of a session run by the container's agent, against a fake agent on
// real sockets: the session socket is the user's alone, the request says exactly what
// to run, the agent's refusals become the right codes, and an agent that does not
// answer leaves the caller free to fall back, with nothing left behind.
import t from 'tap'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, chmodSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { encode, encodeJson, FrameDecoder, frameChannel, frameWriter, json, nextFrame, type Frame, type FrameChannel } from '../../src/protocol/frame.ts'
import { startAgentSession, type AgentTarget } from '../../src/session/agent.ts'
import type { CommandSpec } from '../../src/session/backend.ts'
import { silentLogger } from '../fixtures/log.ts'

const spec: CommandSpec = { command: 'echo hi', tty: false, cols: 80, rows: 24, env: ['TERM=xterm'], user: 'alice', uid: 1001, gid: 1002 }

function target (t: { teardown (fn: () => void): void }, timeoutMs = 1000): AgentTarget {
  const root = mkdtempSync(join(tmpdir(), 'bt-agent-'))
  chmodSync(root, 0o755)
  const dir = join(root, 'agent')
  const privateDir = join(root, 'private')
  mkdirSync(dir, { mode: 0o755 })
  mkdirSync(privateDir, { mode: 0o700 })
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  return { dir, privateDir, session: 'abcdef012345', timeoutMs }
}

interface FakeAgent { channel: FrameChannel, request: Record<string, unknown>, socketStat: { uid: number, gid: number, mode: number } }

// An agent that notices the session socket (polling, as inotify would) and connects.
async function fakeAgent (dir: string): Promise<FakeAgent> {
  for (let i = 0; i < 200; i++) {
    const name = readdirSync(dir).find((n) => n.endsWith('.sock'))
    if (name !== undefined) {
      const path = join(dir, name)
      const s = statSync(path)
      const socket = await new Promise<Socket>((resolve, reject) => { const c = connect(path); c.once('connect', () => resolve(c)); c.once('error', reject) })
      const channel = frameChannel(socket)
      const request = json(await nextFrame(channel, ['R'], 1000, 'the request'))
      return { channel, request, socketStat: { uid: s.uid, gid: s.gid, mode: s.mode & 0o777 } }
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error('no session socket appeared')
}

function collect (): { w: Writable, text: () => string } {
  const chunks: Buffer[] = []
  return { w: new Writable({ write (c: Buffer, _e, cb) { chunks.push(Buffer.from(c)); cb() } }), text: () => Buffer.concat(chunks).toString() }
}

function frames (channel: FrameChannel): Frame[] {
  const got: Frame[] = []
  channel.on('frame', (f) => got.push(f))
  channel.resume()
  return got
}

t.test('the session socket belongs to root, mode 0600, and the request says what to run where and as whom', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, { ...spec, tty: true, command: undefined, cols: 100, rows: 33 }, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 42 }); return a })])
  t.same(agent.socketStat, { uid: 0, gid: 0, mode: 0o600 }, 'only the agent, root in the container, may connect: never one of the user\'s processes')
  t.same(agent.request, { argv: ['bash', '-l'], env: ['TERM=xterm'], tty: true, cols: 100, rows: 33, cwd: '/home/alice', uid: 1001, gid: 1002, groups: [1002] })
  t.equal(backend?.kind, 'agent')
  t.equal(backend?.pid, 42)
  t.same(readdirSync(tg.dir), [], 'the socket file is gone once connected')
  t.same(readdirSync(tg.privateDir), [])
  agent.channel.socket.destroy()
})

t.test('a command runs as bash -c, its output and exit status come back, input and EOF go in', async (t) => {
  const tg = target(t)
  const backend = startAgentSession(tg, spec, silentLogger())
  const agent = await fakeAgent(tg.dir)
  t.same(agent.request.argv, ['bash', '-c', 'echo hi'])
  agent.channel.sendJson('S', { pid: 9 })
  const b = await backend
  if (b === undefined) return t.fail('no backend')
  const toAgent = frames(agent.channel)
  const out = collect()
  const err = collect()
  const code = b.run(out.w, err.w)
  b.stdin.write(Buffer.alloc(100 * 1024, 1))
  b.stdin.end()
  b.resize(120, 40)
  await new Promise((r) => setTimeout(r, 50))
  // E follows the input it ends; W goes out at once, so it may come before E or after.
  const sent = toAgent.map((f) => [f.type, f.payload.length])
  t.same(sent.filter(([type]) => type !== 'W'), [['0', 65536], ['0', 36864], ['E', 0]], 'input in 64 KiB frames, then EOF')
  t.same(sent.filter(([type]) => type === 'W'), [['W', 22]], 'and the size')
  agent.channel.socket.write(Buffer.concat([encode('1', 'hi\n'), encode('2', 'warn\n'), encodeJson('X', { code: 3 })]))
  t.equal(await code, 3)
  t.equal(out.text(), 'hi\n')
  t.equal(err.text(), 'warn\n')
})

t.test('nothing is sent to the agent after its exit status', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  const toAgent = frames(agent.channel)
  const code = backend.run(collect().w, collect().w)
  agent.channel.sendJson('X', { code: 0 })
  t.equal(await code, 0)
  backend.stdin.write('late')
  backend.stdin.end()
  backend.resize(1, 1)
  await backend.kill()
  await new Promise((r) => setTimeout(r, 30))
  t.same(toAgent, [])
})

t.test('an agent that cannot start the command: EAGAIN is the limits message, anything else internal', async (t) => {
  for (const [errno, code] of [['EAGAIN', 'BASTION_SHELL_LIMITS_REACHED'], ['ENOENT', 'BASTION_SHELL_INTERNAL']]) {
    const tg = target(t)
    const started = startAgentSession(tg, spec, silentLogger())
    const agent = await fakeAgent(tg.dir)
    agent.channel.sendJson('F', { error: 'fork/exec /bin/bash: resource temporarily unavailable', errno })
    await t.rejects(started, { code, message: new RegExp(`could not start the session: .*\\(${errno}\\)`) }, errno as string)
  }
})

t.test('no agent within the timeout: undefined, so the caller falls back, and no socket is left', async (t) => {
  const tg = target(t, 150)
  const t0 = Date.now()
  t.equal(await startAgentSession(tg, spec, silentLogger()), undefined)
  t.ok(Date.now() - t0 >= 140)
  t.same(readdirSync(tg.dir), [])
  t.same(readdirSync(tg.privateDir), [])
})

t.test('an agent that connects but never answers the request also means fall back', async (t) => {
  const tg = target(t, 200)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir)])
  t.equal(backend, undefined)
  await new Promise((r) => setTimeout(r, 20))
  t.ok(agent.channel.socket.destroyed || agent.channel.socket.readableEnded, 'the broker hung up on it')
})

t.test('kill sends K and waits for the agent to report', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  const toAgent = frames(agent.channel)
  const code = backend.run(collect().w, collect().w)
  agent.channel.on('frame', (f) => { if (f.type === 'K') agent.channel.socket.end(encodeJson('X', { code: 137 })) })
  await backend.kill()
  t.same(toAgent.map((f) => f.type), ['K'])
  t.equal(await code, 137)
})

t.test('an agent that goes away without an exit status gives -1', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  const out = collect()
  const code = backend.run(out.w, collect().w)
  agent.channel.socket.end(encode('1', 'partial'))
  t.equal(await code, -1)
  t.equal(out.text(), 'partial', 'what came before is delivered')
})

t.test('input waits while the agent does not read, and output waits while the client does not', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  // The agent reads nothing yet: 8 MiB of input fills the socket, and the writes wait.
  const slow = new Writable({ highWaterMark: 1, write (_c, _e, cb) { setTimeout(cb, 5) } })
  const code = backend.run(slow, collect().w)
  let written = 0
  const all = new Promise<void>((resolve) => {
    const big = Buffer.alloc(1024 * 1024, 2)
    const next = (): void => {
      while (written < 8) { written++; if (!backend.stdin.write(big)) { backend.stdin.once('drain', next); return } }
      resolve()
    }
    next()
  })
  await new Promise((r) => setTimeout(r, 100))
  t.ok(written < 8, `the writes wait for the agent (${written} of 8 MiB accepted so far)`)
  let received = 0
  agent.channel.on('frame', (f) => { if (f.type === '0') received += f.payload.length })
  agent.channel.resume()
  await all
  for (let i = 0; i < 50 && received < 8 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 20))
  t.equal(received, 8 * 1024 * 1024, 'all of it arrives once the agent reads')
  // Output to a slow client: frames are held, none lost.
  for (let i = 0; i < 20; i++) agent.channel.send('1', Buffer.alloc(1000, 1))
  agent.channel.sendJson('X', { code: 0 })
  t.equal(await code, 0)
})

t.test('output held back for a slow client all arrives, then the exit status, though the agent hung up meanwhile', async (t) => {
  // As the agent ends every session: its last output and X, then its end of the
  // connection. The socket closes while frames still wait for the client; the density
  // bench once lost the tail of a 256 MB transfer this way, and an exit status of -1.
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  let received = 0
  const slow = new Writable({ highWaterMark: 1, write (c: Buffer, _e, cb) { received += c.length; setTimeout(cb, 5) } })
  const code = backend.run(slow, collect().w)
  const out: Buffer[] = []
  for (let i = 0; i < 20; i++) out.push(encode('1', Buffer.alloc(1000, 1)))
  agent.channel.socket.end(Buffer.concat([...out, encodeJson('X', { code: 7 })]))
  t.equal(await code, 7, 'the exit status is the agent\'s')
  t.equal(received, 20 * 1000, 'every byte before it was delivered')
})

t.test('a frame the agent must not send ends the session', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  const code = backend.run(collect().w, collect().w)
  agent.channel.sendJson('P', { path: '/etc/shadow' })
  t.equal(await code, -1)
})

t.test('output to a login shell that reads slowly arrives intact, out of one read buffer used again', async (t) => {
  const tg = target(t)
  const [backend, agent] = await Promise.all([startAgentSession(tg, spec, silentLogger()), fakeAgent(tg.dir).then((a) => { a.channel.sendJson('S', { pid: 9 }); return a })])
  if (backend === undefined) return t.fail('no backend')
  // The login shell's side: a real socket pair, its far end reading a little at a time.
  const path = join(tg.privateDir, 'client.sock')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const far = connect(path)
  const near = await new Promise<Socket>((resolve) => server.once('connection', resolve))
  server.close()
  const received: Buffer[] = []
  const decoder = new FrameDecoder()
  far.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) received.push(f.payload)
    far.pause()
    setTimeout(() => far.resume(), 1)
  })
  const client = frameChannel(near)
  const code = backend.run(frameWriter(client, '1'), frameWriter(client, '2'))
  const sent = randomBytes(4 * 1024 * 1024)
  for (let at = 0; at < sent.length; at += 65536) agent.channel.socket.write(encode('1', sent.subarray(at, at + 65536)))
  agent.channel.sendJson('X', { code: 0 })
  t.equal(await code, 0)
  await new Promise<void>((resolve) => { near.end(resolve) })
  await new Promise((resolve) => far.once('end', resolve))
  const got = Buffer.concat(received)
  t.equal(got.length, sent.length, 'every byte')
  t.ok(got.equals(sent), 'the same bytes, in order')
  far.destroy()
})
