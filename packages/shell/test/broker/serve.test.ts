// The broker's main process on real sockets and real forked workers (a stand-in worker
// module): its run directory has the modes the protocol relies on, each login reaches a
// worker of its own, the limit refuses with the user's message, and only one broker
// may own a socket.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from "node:net"
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeJson, FrameDecoder, type Frame } from '../../src/protocol/frame.ts'
import { failureSummary, handOff, serveBroker, type Broker } from '../../src/broker/serve.ts'
import { runDirs } from '../../src/broker/run-dir.ts'
import { testConfig } from '../fixtures/config.ts'
import { captureLog, silentLogger } from '../fixtures/log.ts'

const WORKER = fileURLToPath(new URL('../fixtures/echo-worker.ts', import.meta.url))

function runDir (t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'bt-broker-'))
  // Users must be able to pass through it to reach broker.sock.
  chmodSync(d, 0o755)
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return join(d, 'shell')
}

async function start (t: Test, dir: string, shell: Record<string, unknown> = {}, configPath = '/nonexistent.yaml'): Promise<Broker> {
  const config = testConfig({ shell: { broker: { runDir: dir, spareWorkers: 1, maxSessions: 4, ...shell } } })
  const broker = await serveBroker(config, { configPath, workerModule: WORKER, queueTimeoutMs: 5000 }, silentLogger())
  t.teardown(() => broker.close())
  return broker
}

// One login as a login shell makes it (root may connect to any proof socket): the
// hello, the proof, the request, then everything the broker or its worker sends back
// until it closes. A refusal before the proof comes on the first connection.
function login (path: string, uid = 65534): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = []
    const collect = (s: Socket, onFrame: (f: Frame) => void = (f) => frames.push(f)): void => {
      const d = new FrameDecoder()
      s.on('data', (c: Buffer) => { for (const f of d.push(c)) onFrame(f) })
    }
    const hello: Socket = connect(path)
    hello.on('error', reject)
    hello.on('connect', () => hello.write(encodeJson('H', { v: 1, uid })))
    let proving = false
    collect(hello, (f) => {
      if (f.type !== 'P') { frames.push(f); return }
      proving = true
      const proven = connect(JSON.parse(f.payload.toString()).path as string)
      proven.on('error', reject)
      proven.on('connect', () => { hello.destroy(); proven.write(encodeJson('R', { command: 'true', tty: false })) })
      collect(proven)
      proven.on('close', () => resolve(frames))
    })
    hello.on('close', () => { if (!proving) resolve(frames) })
  })
}

const mode = (p: string): number => statSync(p).mode & 0o7777

t.test('the run directory and its parts are root\'s with the protocol\'s modes, and the socket is open to all', async (t) => {
  const dir = runDir(t)
  mkdirSync(dir, { recursive: true, mode: 0o777 })
  chmodSync(dir, 0o777)
  mkdirSync(join(dir, 'private'), { mode: 0o755 })
  chmodSync(join(dir, 'private'), 0o755)
  const broker = await start(t, dir)
  const d = runDirs(dir)
  t.equal(mode(d.runDir), 0o755)
  t.equal(mode(d.privateDir), 0o700, 'private is root\'s alone, even if it was not')
  t.equal(mode(d.authDir), 0o711, 'auth can be entered, not listed')
  t.equal(mode(d.agentsDir), 0o711)
  t.equal(broker.socket, join(dir, 'broker.sock'))
  t.equal(mode(broker.socket), 0o666, 'anyone may connect; the kernel proves who')
  t.equal(statSync(broker.socket).uid, 0)
})

t.test('logins are handed, unread, to workers that serve up to sessionsPerWorker each and know the run directory', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { sessionsPerWorker: 2, spareWorkers: 1 }, '/hold')
  const held = [1, 2, 3].map(() => login(broker.socket))
  for (let i = 0; i < 200 && broker.pool.stats().busy < 3; i++) await new Promise((r) => setTimeout(r, 20))
  t.match(broker.pool.stats(), { busy: 3, workers: 2 }, 'three sessions, two sessions a worker: two workers')
  await broker.close()
  for (const frames of await Promise.all(held)) t.same(frames.map((f) => f.type), ['X'])
  const answers = await Promise.all([1, 2, 3].map(async () => {
    const b = await start(t, runDir(t), { sessionsPerWorker: 2 })
    return login(b.socket)
  }))
  for (const frames of answers) {
    t.same(frames.map((f) => f.type), ['1', 'X'], frames[0]?.payload.toString() ?? '')
    const [, , seen, message] = frames[0]?.payload.toString().split(' ') ?? []
    t.match(seen, /bt-broker-.*\/shell$/)
    t.match(JSON.parse(message ?? '{}'), { type: 'login', session: 1, uid: 65534 }, 'the ticket and the session\'s id')
  }
})

t.test('at shell.broker.maxSessions, a login is refused with the busy message and status 125', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { maxSessions: 1, spareWorkers: 0 }, '/hold')
  const held = login(broker.socket)
  for (let i = 0; i < 100 && broker.pool.stats().busy < 1; i++) await new Promise((r) => setTimeout(r, 20))
  t.equal(broker.pool.stats().busy, 1, 'the first login holds the only session')
  const frames = await login(broker.socket)
  t.same(frames.map((f) => [f.type, f.payload.toString()]), [
    ['2', 'bastion: The bastion is at its session limit. Please try again shortly. (BASTION_SHELL_BUSY)\n'],
    ['X', '{"code":125}']
  ])
  await broker.close()
  t.same((await held).map((f) => f.type), ['X'], 'a busy worker lets its session end on its own once the broker is gone')
})

t.test('when no worker can start, a login is refused with the internal message, after the queue timeout', async (t) => {
  const dir = runDir(t)
  const log = captureLog()
  const config = testConfig({ shell: { broker: { runDir: dir, spareWorkers: 1, maxSessions: 4 } } })
  const broker = await serveBroker(config, { configPath: '/crash', workerModule: WORKER, queueTimeoutMs: 3000 }, log.logger)
  t.teardown(() => broker.close())
  const frames = await login(broker.socket)
  t.same(frames.map((f) => f.type), ['2', 'X'])
  t.match(frames[0]?.payload.toString(), /\(BASTION_SHELL_INTERNAL\)\n$/)
  t.ok(log.records().some((r) => r.msg === 'a session worker exited before it was ready'), 'the log says why')
  await broker.close()
  t.pass('and the broker still closes: a refused login holds nothing open')
})

t.test('a socket file left by a broker that is gone is replaced; one that answers stops a second broker', async (t) => {
  const dir = runDir(t)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'broker.sock'), 'stale')
  const broker = await start(t, dir)
  t.equal((await login(broker.socket))[0]?.type, '1', 'the new broker serves')
  const config = testConfig({ shell: { broker: { runDir: dir } } })
  await t.rejects(serveBroker(config, { configPath: '/x', workerModule: WORKER }, silentLogger()), { code: 'BASTION_SHELL_CONFIG_INVALID', message: /another session broker already listens/ })
})

t.test('a run directory that is a file is refused', async (t) => {
  const dir = runDir(t)
  writeFileSync(dir, '')
  const config = testConfig({ shell: { broker: { runDir: dir } } })
  await t.rejects(serveBroker(config, { configPath: '/x', workerModule: WORKER }, silentLogger()))
})

t.test('after close the broker takes no login, and its socket is gone', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir)
  await broker.close()
  t.notOk(existsSync(broker.socket))
  await t.rejects(login(broker.socket), { code: 'ENOENT' })

})

t.test('a login that cannot be handed to its worker is refused with the internal message, and the worker is ended', async (t) => {
  const dir = runDir(t)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'hand.sock')
  const log = captureLog()
  for (const connected of [false, true]) {
    let killed = 0
    const server = createServer({ pauseOnConnect: true }, (socket) => handOff({
      connected,
      pid: 4242,
      kill: () => { killed++; return true },
      // A channel that fails as the message goes out.
      send: (_m, _h, callback) => { setImmediate(() => callback(new Error('channel closed'))); return false }
    }, socket, { uid: 1000, requestTimeoutMs: 1000 }, 1, log.logger))
    await new Promise<void>((resolve) => server.listen(path, () => resolve()))
    const frames = await login(path)
    server.close()
    t.same(frames.map((f) => f.type), ['2', 'X'], connected ? 'the send fails' : 'the channel is already closed')
    t.match(frames[0]?.payload.toString(), /\(BASTION_SHELL_INTERNAL\)\n$/)
    t.equal(killed, 1, 'the worker is ended')
  }
  t.equal(log.records().filter((r) => r.msg === 'could not hand a login to its worker').length, 2)
})

t.test('a directory above the run directory that users cannot pass through stops the broker, and says which', async (t) => {
  const dir = runDir(t)
  const parent = join(dir, '..')
  chmodSync(parent, 0o700)
  const config = testConfig({ shell: { broker: { runDir: dir } } })
  await t.rejects(serveBroker(config, { configPath: '/x', workerModule: WORKER }, silentLogger()), { code: 'BASTION_SHELL_CONFIG_INVALID', message: `${parent}, above shell.broker.runDir, is not searchable by other users (mode 700)` })
  chmodSync(parent, 0o701)
  const broker = await serveBroker(config, { configPath: '/x', workerModule: WORKER }, silentLogger())
  await broker.close()
  t.pass('searchable is enough: it need not be listable')
})

// A connection that holds on to broker.sock: it says nothing, or only its hello. It
// resolves with what the broker sent it once the broker closed it.
interface Holder { closed: Promise<Frame[]>, proof: Promise<string | undefined>, socket: Socket }
function hold (path: string, claim?: number): Holder {
  const s = connect(path)
  const frames: Frame[] = []
  const d = new FrameDecoder()
  let gotProof: (p: string | undefined) => void = () => {}
  const proof = new Promise<string | undefined>((resolve) => { gotProof = resolve })
  s.on('connect', () => { if (claim !== undefined) s.write(encodeJson('H', { v: 1, uid: claim })) })
  s.on('data', (c: Buffer) => {
    for (const f of d.push(c)) {
      if (f.type === 'P') gotProof(JSON.parse(f.payload.toString()).path as string)
      else frames.push(f)
    }
  })
  s.on('error', () => {})
  const closed = new Promise<Frame[]>((resolve) => s.on('close', () => { gotProof(undefined); resolve(frames) }))
  return { closed, proof, socket: s }
}

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 20))
}

t.test('idle connections hold no worker: at maxSessions 2, a dozen silent ones and a dozen unproven claims, and a login is still served', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { maxSessions: 2, spareWorkers: 1 })
  const held = [...Array(12).keys()].flatMap((i) => [hold(broker.socket), hold(broker.socket, 4000 + i)])
  t.teardown(() => { for (const h of held) h.socket.destroy() })
  await Promise.all(held.filter((_h, i) => i % 2 === 1).map((h) => h.proof))
  await until(() => broker.gate.stats().unauthenticated === 24)
  t.equal(broker.gate.stats().unauthenticated, 24, 'the broker holds them all, unproven')
  t.equal(broker.pool.stats().busy, 0, 'none of them took a worker')
  const frames = await login(broker.socket)
  t.same(frames.map((f) => f.type), ['1', 'X'], 'the login is served')
  t.match(frames[0]?.payload.toString(), /"uid":65534/, 'its worker was told the proven uid')
})

t.test('a connection that does not finish its handshake within shell.broker.handshakeTimeoutMs is closed', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { handshakeTimeoutMs: 500 })
  const silent = hold(broker.socket)
  const claimer = hold(broker.socket, 4242)
  t.ok(await claimer.proof, 'the claim got its proof socket')
  t.same(await silent.closed, [], 'the silent one is closed, with nothing said')
  t.same(await claimer.closed, [], 'so is the claim that never proved itself')
  await until(() => broker.gate.stats().unauthenticated === 0)
  t.equal(broker.gate.stats().unauthenticated, 0)
})

const TOO_MANY = 'bastion: Too many connections to the bastion wait to be verified. Please try again. (BASTION_SHELL_TOO_MANY_CONNECTIONS)\n'

t.test('past shell.broker.maxUnauthenticated the oldest unproven connection is told and closed, and a new login gets through', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { maxUnauthenticated: 16 })
  const first = hold(broker.socket)
  await until(() => broker.gate.stats().unauthenticated === 1)
  const rest = [...Array(15).keys()].map(() => hold(broker.socket))
  t.teardown(() => { for (const h of rest) h.socket.destroy() })
  await until(() => broker.gate.stats().unauthenticated === 16)
  const frames = await login(broker.socket)
  t.same(frames.map((f) => f.type), ['1', 'X'], 'the newcomer is served')
  t.same((await first.closed).map((f) => [f.type, f.payload.toString()]), [['2', TOO_MANY], ['X', '{"code":125}']], 'the oldest was told why')
})

t.test('past shell.broker.maxUnauthenticatedPerUser the oldest claim of that uid is told and closed; that uid can still log in', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { maxUnauthenticatedPerUser: 2 })
  const claims = [hold(broker.socket, 65534), hold(broker.socket, 65534)]
  t.teardown(() => { for (const h of claims) h.socket.destroy() })
  await Promise.all(claims.map((c) => c.proof))
  const frames = await login(broker.socket, 65534)
  t.same(frames.map((f) => f.type), ['1', 'X'], 'the newest claim, proven, is served')
  const told = await Promise.race(claims.map((c) => c.closed))
  t.same(told.map((f) => [f.type, f.payload.toString()]), [['2', TOO_MANY], ['X', '{"code":125}']], 'an older claim was told why')
})

t.test('at shell.broker.maxSessionsPerUser a user\'s next login is refused with their message; another user still logs in', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir, { maxSessions: 4, spareWorkers: 2, maxSessionsPerUser: 1 }, '/hold')
  const held = login(broker.socket, 65534)
  await until(() => broker.pool.stats().busy === 1)
  t.equal(broker.pool.stats().busy, 1, 'the first login of uid 65534 holds its session')
  const again = await login(broker.socket, 65534)
  t.same(again.map((f) => [f.type, f.payload.toString()]), [
    ['2', 'bastion: You have as many sessions open as the bastion allows one person. Close one and try again. (BASTION_SHELL_USER_SESSION_LIMIT)\n'],
    ['X', '{"code":125}']
  ])
  const other = login(broker.socket, 1)
  await until(() => broker.pool.stats().busy === 2)
  t.equal(broker.pool.stats().busy, 2, 'another uid is served')
  await broker.close()
  t.same((await held).map((f) => f.type), ['X'])
  t.same((await other).map((f) => f.type), ['X'])
})

t.test('the broker reads its per-user limits from the config again, with no restart', async (t) => {
  const dir = runDir(t)
  const file = join(dir, '..', 'bastion.yaml')
  writeFileSync(file, `shell:\n  broker:\n    runDir: ${dir}\n    maxSessionsPerUser: 1\n`)
  const broker = await start(t, dir, {}, file)
  t.ok(broker.gate.session(5) !== undefined && broker.gate.session(5) !== undefined, 'started with the default, 32')
  await new Promise((r) => setTimeout(r, 1100))
  t.same((await login(broker.socket)).map((f) => f.type), ['1', 'X'])
  t.ok(broker.gate.session(6) !== undefined)
  t.equal(broker.gate.session(6), undefined, 'the file\'s limit of 1 applies now')
})

t.test('connections that never prove a uid: the first 20 of a window are logged with their cause, the rest summed up; probes only at debug', async (t) => {
  const log = captureLog()
  const summary = failureSummary(log.logger, 200)
  t.teardown(() => summary.stop())
  summary.failed(new Error('the connection closed before the hello'))
  for (let i = 0; i < 25; i++) summary.failed(new Error(`timeout ${i}`))
  summary.evicted()
  t.equal(log.records().filter((r) => r.msg === 'login refused before its identity was proven').length, 20)
  await new Promise((r) => setTimeout(r, 400))
  const sums = log.records().filter((r) => typeof r.msg === 'string' && r.msg.startsWith('connections closed before their uid was proven'))
  t.match(sums, [{ failed: 5, evicted: 1 }])
  summary.failed(new Error('again'))
  t.equal(log.records().filter((r) => r.msg === 'login refused before its identity was proven').length, 21, 'a new window logs again')
  t.ok(log.records().some((r) => r.msg === 'a connection closed before its hello (a probe)'))
})

t.test('a broker whose config names a data directory under a symbolic link does not start, and says which key', async (t) => {
  const dir = runDir(t)
  mkdirSync(dir, { recursive: true })
  symlinkSync('/var/lib', join(dir, 'lib'))
  const config = testConfig({ shell: { stateDir: join(dir, 'lib', 'state'), broker: { runDir: dir } } })
  await t.rejects(serveBroker(config, { configPath: '/x', workerModule: WORKER }, silentLogger()), { code: 'BASTION_SHELL_CONFIG_INVALID', message: /^shell\.stateDir .* is a symbolic link/ })
})

t.test('a connection closed to make room gets no proof socket, whatever it sends after', async (t) => {
  const dir = runDir(t)
  const log = captureLog()
  const config = testConfig({ shell: { broker: { runDir: dir, spareWorkers: 1, maxSessions: 4, maxUnauthenticated: 16 } } })
  const broker = await serveBroker(config, { configPath: '/nonexistent.yaml', workerModule: WORKER, queueTimeoutMs: 5000 }, log.logger)
  t.teardown(() => broker.close())
  // Half-open, so that it can still write once the broker has said its refusal.
  const first = connect({ path: broker.socket, allowHalfOpen: true })
  first.on('error', () => {})
  t.teardown(() => first.destroy())
  const told = new Promise<void>((resolve) => first.once('data', () => resolve()))
  await until(() => broker.gate.stats().unauthenticated === 1)
  const rest = [...Array(16).keys()].map(() => hold(broker.socket))
  t.teardown(() => { for (const h of rest) h.socket.destroy() })
  await told
  const made: string[] = []
  const watcher = watch(runDirs(dir).authDir, (_event, name) => { if (name !== null) made.push(name) })
  t.teardown(() => watcher.close())
  first.write(encodeJson('H', { v: 1, uid: 65534 }))
  const about = (): Array<Record<string, unknown>> => log.records().filter((r) => String((r.err as { message?: string } | undefined)?.message ?? '').includes('claiming uid 65534'))
  await until(() => about().length > 0)
  t.match(about(), [{ err: { message: 'the connection claiming uid 65534 was closed to make room for newer ones' } }], 'the broker stopped at its hello')
  t.same(made, [], 'no proof socket was made for it')
})
