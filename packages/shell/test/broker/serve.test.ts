// The broker's main process on real sockets and real forked workers (a stand-in worker
// module): its run directory has the modes the protocol relies on, each login reaches a
// worker of its own, the limit refuses with the user's message, and only one broker
// may own a socket.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from "node:net"
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FrameDecoder, type Frame } from '../../src/protocol/frame.ts'
import { handOff, serveBroker, type Broker } from '../../src/broker/serve.ts'
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
  const broker = await serveBroker(config, { configPath, workerModule: WORKER, queueTimeoutMs: 500 }, silentLogger())
  t.teardown(() => broker.close())
  return broker
}

// One login: everything the broker (or its worker) sends back, until it closes.
function login (path: string): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const d = new FrameDecoder()
    const frames: Frame[] = []
    const s: Socket = connect(path)
    s.on('data', (c: Buffer) => frames.push(...d.push(c)))
    s.on('close', () => resolve(frames))
    s.on('error', reject)
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

t.test('each login is handed, unread, to a worker of its own, which knows the run directory', async (t) => {
  const dir = runDir(t)
  const broker = await start(t, dir)
  const answers = await Promise.all([1, 2, 3].map(() => login(broker.socket)))
  const pids = new Set<string>()
  for (const frames of answers) {
    t.same(frames.map((f) => f.type), ['1', 'X'])
    const [, pid, seen] = frames[0]?.payload.toString().split(' ') ?? []
    pids.add(pid as string)
    t.equal(seen, dir)
  }
  t.equal(pids.size, 3, 'three workers for three logins')
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
  const broker = await serveBroker(config, { configPath: '/crash', workerModule: WORKER, queueTimeoutMs: 300 }, log.logger)
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
    }, socket, log.logger))
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
