// bastion-shell-broker serve: the root side of every login (docs/shell/protocol.md). It
// owns <runDir>: broker.sock, where the login shell connects, and the directories of the
// identity proofs and the agents' session sockets. The broker itself takes each hello
// and proves its uid, within one short deadline and the limits of gate.ts; only then
// does the proven connection go, unread, to a session worker (pool.ts), which serves
// it beside up to shell.broker.sessionsPerWorker others. Idle connections, however
// many, hold no worker.
import { fork, type ChildProcess } from 'node:child_process'
import { chmod, chown, mkdir, rm, stat } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { listen } from '../protocol/owned-socket.ts'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import type { ShellConfig } from '../config/schema.ts'
import { ShellError } from '../errors.ts'
import { encode, encodeJson } from '../protocol/frame.ts'
import { loadShellConfig } from '../config/load.ts'
import { assertDataDirs } from '../config/trusted-paths.ts'
import { runDirs, type RunDirs } from './run-dir.ts'
import { createPool, type Pool, type Ticket, type WorkerEvents, type WorkerHandle } from './pool.ts'
import { createGate, type Gate, type GateLimits } from './gate.ts'
import { proveUid } from './handshake.ts'
import { REASON_PROMPT_MS } from '../session/reason.ts'

export interface BrokerOptions {
  configPath: string
  // The worker module and how to run it (tests run the TypeScript sources).
  workerModule: string
  execArgv?: string[]
  queueTimeoutMs?: number
}

export interface Broker {
  socket: string
  pool: Pool
  gate: Gate
  // Stops accepting; idle workers exit, busy ones finish their sessions.
  close (): Promise<void>
}

export async function serveBroker (config: Readonly<ShellConfig>, options: BrokerOptions, log: Logger): Promise<Broker> {
  const dirs = runDirs(config.shell.broker.runDir)
  await assertDataDirs(config)
  await prepareRunDir(dirs, log)
  await removeStaleSocket(dirs.socket)
  const pool = createPool({
    spare: config.shell.broker.spareWorkers,
    sessionsPerWorker: config.shell.broker.sessionsPerWorker,
    maxSessions: config.shell.broker.maxSessions,
    queueTimeoutMs: options.queueTimeoutMs ?? 10_000,
    fork: (events) => forkWorker(options, dirs, events, log),
    refuse: (socket, why) => {
      log.warn({ why, ...pool.stats() }, why === 'busy' ? 'login refused: the broker is at shell.broker.maxSessions' : 'login refused: no session worker could be started in time')
      refuse(socket, why === 'busy' ? 'BASTION_SHELL_BUSY' : 'BASTION_SHELL_INTERNAL')
    },
    onForkFailure: (n) => log.error({ consecutive: n }, 'a session worker exited before it was ready')
  })
  let current = config
  const gate = createGate(gateLimits(config))
  // The broker's limits as the config says now (cached, and at most once a second), so
  // that a change needs no restart; a config that cannot be loaded keeps the last one.
  let loadedAt = Date.now()
  const refresh = async (): Promise<void> => {
    if (Date.now() - loadedAt < 1000) return
    loadedAt = Date.now()
    try {
      current = await loadShellConfig(options.configPath, { cacheDir: dirs.configCache })
      gate.limits(gateLimits(current))
    } catch {
      // the workers report a broken config to each login and to the log
    }
  }
  const unproven = failureSummary(log)
  const admit = (socket: Socket): void => {
    socket.on('error', () => {})
    const timeoutMs = current.shell.broker.handshakeTimeoutMs
    const until = Date.now() + timeoutMs
    const evicted = new AbortController()
    const pending = gate.admit(() => {
      unproven.evicted()
      evicted.abort()
      refuse(socket, 'BASTION_SHELL_TOO_MANY_CONNECTIONS')
    })
    // shell.reason as the config says now: the client asks the person only when told to.
    const reason = async (): Promise<ShellConfig['shell']['reason']> => { await refresh(); return current.shell.reason }
    proveUid(socket, { privateDir: dirs.privateDir, authDir: dirs.authDir, timeoutMs, signal: evicted.signal, onClaim: (uid) => pending.claimed(uid), reason }).then(async ({ uid, socket: proven, reason: asked }) => {
      pending.settled()
      proven.on('error', () => {})
      await refresh()
      const release = gate.session(uid)
      if (release === undefined) {
        log.warn({ uid, maxSessionsPerUser: current.shell.broker.maxSessionsPerUser }, 'login refused: the user is at shell.broker.maxSessionsPerUser')
        refuse(proven, 'BASTION_SHELL_USER_SESSION_LIMIT')
        return
      }
      // A client told to ask for a reason sends its request once the person answered.
      pool.dispatch(proven, { uid, requestTimeoutMs: Math.max(1, until - Date.now()) + (asked === 'off' ? 0 : REASON_PROMPT_MS) }, release)
    }, (err: unknown) => {
      pending.settled()
      unproven.failed(err)
    })
  }
  const server = createServer({ pauseOnConnect: true }, admit)
  await listen(server, dirs.socket)
  // Any local user may connect: who they are is proven next, by the kernel.
  await chmod(dirs.socket, 0o666)
  log.info({ socket: dirs.socket, spare: config.shell.broker.spareWorkers, maxSessions: config.shell.broker.maxSessions }, 'session broker ready')
  return {
    socket: dirs.socket,
    pool,
    gate,
    close: async () => {
      unproven.stop()
      pool.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function gateLimits (config: Readonly<ShellConfig>): GateLimits {
  const { maxUnauthenticated, maxUnauthenticatedPerUser, maxSessionsPerUser } = config.shell.broker
  return { maxUnauthenticated, maxUnauthenticatedPerUser, maxSessionsPerUser }
}

// Connections that never proved a uid, for the operator log: the first 20 in 10 s are
// logged with their cause, the rest are counted and summed up at the end of those 10 s,
// so that a flood cannot fill the log's disk. One that closes without a word is a probe
// (bastion doctor checks that the broker answers).
export function failureSummary (log: Logger, windowMs = 10_000): { failed (err: unknown): void, evicted (): void, stop (): void } {
  let logged = 0
  let failed = 0
  let evicted = 0
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined
      logged = 0
      if (failed + evicted > 0) log.warn({ failed, evicted }, 'connections closed before their uid was proven, in the last 10 s (evicted: the oldest, past shell.broker.maxUnauthenticated or maxUnauthenticatedPerUser)')
      failed = 0
      evicted = 0
    }, windowMs).unref()
  }
  return {
    failed (err) {
      if ((err as Error).message === 'the connection closed before the hello') { log.debug('a connection closed before its hello (a probe)'); return }
      if (logged < 20) { logged++; log.warn({ err }, 'login refused before its identity was proven') } else failed++
      arm()
    },
    evicted () { evicted++; arm() },
    stop () { clearTimeout(timer) }
  }
}

// The suite's own runtime directory, which earlier versions created root-only (mode
// 0700) for their config cache; it stays until a reboot, and would hide broker.sock.
const LEGACY_RUN_ROOT = '/run/bastion'

// runDir and its parts, root's, with the modes the protocol relies on, whatever an
// earlier run or an operator left; and every directory above it one that users can
// pass through, or no login shell could reach broker.sock.
async function prepareRunDir (dirs: RunDirs, log: Logger): Promise<void> {
  for (const [dir, mode] of [[dirs.runDir, 0o755], [dirs.privateDir, 0o700], [dirs.authDir, 0o711], [dirs.agentsDir, 0o711]] as const) {
    await mkdir(dir, { recursive: true, mode })
    const s = await stat(dir)
    if (!s.isDirectory()) throw new ShellError('BASTION_SHELL_CONFIG_INVALID', `${dir} is not a directory (shell.broker.runDir)`)
    if (s.uid !== 0 || s.gid !== 0) await chown(dir, 0, 0)
    if ((s.mode & 0o7777) !== mode) await chmod(dir, mode)
  }
  for (let dir = dirname(dirs.runDir); dir !== dirname(dir); dir = dirname(dir)) {
    const s = await stat(dir)
    if ((s.mode & 0o001) !== 0) continue
    if (dir === LEGACY_RUN_ROOT && s.uid === 0) {
      await chmod(dir, (s.mode & 0o7777) | 0o011)
      log.info({ dir }, 'made the suite\'s runtime directory passable for users: earlier versions created it root-only')
      continue
    }
    throw new ShellError('BASTION_SHELL_CONFIG_INVALID', `${dir}, above shell.broker.runDir, is not searchable by other users (mode ${(s.mode & 0o7777).toString(8)}): no login shell could reach ${dirs.socket}`)
  }
}

// A socket file left by a broker that is gone is removed; one that answers means
// another broker runs, and this one must not take its place.
async function removeStaleSocket (path: string): Promise<void> {
  const answers = await new Promise<boolean>((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => { probe.destroy(); resolve(true) })
    probe.once('error', () => resolve(false))
  })
  if (answers) throw new ShellError('BASTION_SHELL_CONFIG_INVALID', `another session broker already listens on ${path}`)
  await rm(path, { force: true })
}

// What handOff needs of a worker process.
export type WorkerProcess = Pick<ChildProcess, 'connected' | 'pid' | 'kill'> & {
  send (message: object, handle: Socket, callback: (err: Error | null) => void): boolean
}

// Gives a login, unread, to its worker. A worker whose channel is gone cannot take it:
// the login is refused with the internal message, and that worker is ended.
export function handOff (child: WorkerProcess, socket: Socket, ticket: Ticket, session: number, log: Logger): void {
  const failed = (err: unknown): void => {
    log.error({ err, worker: child.pid }, 'could not hand a login to its worker')
    refuse(socket, 'BASTION_SHELL_INTERNAL')
    child.kill()
  }
  if (!child.connected) { failed(new Error('the worker\'s channel is closed')); return }
  child.send({ type: 'login', session, ...ticket }, socket, (err) => { if (err !== null && err !== undefined) failed(err) })
}

// The refusal a login shell shows, as the protocol's frames, straight from the broker.
// What the peer sent is read and dropped (unread data would turn its close into a reset
// that can cost it the message), and a peer that does not hang up once it has the
// refusal is cut off after a second: nothing keeps the broker from closing.
function refuse (socket: Socket, code: 'BASTION_SHELL_BUSY' | 'BASTION_SHELL_INTERNAL' | 'BASTION_SHELL_USER_SESSION_LIMIT' | 'BASTION_SHELL_TOO_MANY_CONNECTIONS'): void {
  socket.on('error', () => {})
  socket.resume()
  socket.end(Buffer.concat([encode('2', `${new ShellError(code, 'refused').userMessage}\n`), encodeJson('X', { code: 125 })]))
  setTimeout(() => socket.destroy(), 1000).unref()
}

function forkWorker (options: BrokerOptions, dirs: RunDirs, events: WorkerEvents, log: Logger): WorkerHandle {
  const child = fork(options.workerModule, [], {
    // Its own process group: stopping the broker's group (a test bed, a terminal) must
    // not hang up the sessions that workers serve. systemd uses KillMode=process.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: options.execArgv ?? [],
    // Nothing of the broker's environment but what a worker needs.
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', BASTION_CONFIG: options.configPath, BASTION_SHELL_RUN_DIR: dirs.runDir }
  })
  child.on('message', (m: unknown) => {
    const message = m as { type?: unknown, session?: unknown }
    if (message?.type === 'ready') events.ready()
    if (message?.type === 'ended' && typeof message.session === 'number') events.ended(message.session)
  })
  child.once('exit', (code, signal) => {
    if (code !== 0) log.warn({ worker: child.pid, code, signal }, 'a session worker ended abnormally')
    events.exit()
  })
  child.on('error', (err) => log.error({ err, worker: child.pid }, 'session worker failed'))
  return {
    take: (socket, ticket, session) => handOff(child, socket, ticket, session, log),
    retire () {
      if (child.connected) child.disconnect()
    },
    detach () {
      if (child.connected) child.disconnect()
      child.unref()
    }
  }
}
