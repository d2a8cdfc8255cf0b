// A session worker: forked by the broker ahead of any login, it loads every module and
// the config, says it is ready, and serves the logins handed to it (connections whose
// uid the broker has proven), up to shell.broker.sessionsPerWorker at once, telling the
// broker as each one ends. It exits once it serves nothing and its broker has let it
// go (retired, or gone); a busy one finishes its sessions first.
import { enableCompileCache } from 'node:module'
import { Socket } from 'node:net'
import pino, { type Logger } from 'pino'
import { loadShellConfig } from '../config/load.ts'
import { assertDataDirs } from '../config/trusted-paths.ts'
import type { ShellConfig } from '../config/schema.ts'
import { callerFromUid, systemIdentitySources } from '../identity.ts'
import { agentMount, type AgentCache } from '../container/agent-binary.ts'
import { login, shellLogger } from '../login.ts'
import { readRequest } from './handshake.ts'
import { ShellError } from '../errors.ts'
import { runDirs } from './run-dir.ts'
import { controlSocket, listenControl } from './worker-control.ts'
import { randomBytes } from 'node:crypto'

async function main (): Promise<void> {
  const configPath = process.env.BASTION_CONFIG
  const runDir = process.env.BASTION_SHELL_RUN_DIR
  if (process.send === undefined || configPath === undefined || runDir === undefined) {
    process.stderr.write('bastion-shell worker: started without its broker\n')
    process.exit(2)
  }
  // The validated config's cache (config/load.ts), in the broker's root-only directory.
  const cacheDir = runDirs(runDir).configCache
  // One logger per log file and level, shared by the sessions that use it (each one
  // holds a file descriptor).
  const loggers = new Map<string, Logger>()
  const loggerFor = (c: Readonly<ShellConfig>): Logger => {
    const key = `${c.shell.log.file}\0${c.shell.log.level}`
    let l = loggers.get(key)
    if (l === undefined) { l = shellLogger(c); loggers.set(key, l) }
    return l
  }
  // A config broken since the broker started must not stop workers from starting: each
  // login then gets BASTION_SHELL_CONFIG_INVALID at once, and the journal says why.
  let config: Readonly<ShellConfig> | undefined
  let log: Logger
  try {
    config = await loadShellConfig(configPath, { cacheDir })
    log = loggerFor(config)
  } catch (err) {
    log = pino({ base: { component: 'shell', pid: process.pid } }, pino.destination(2))
    log.error({ err }, 'the config cannot be loaded: logins get BASTION_SHELL_CONFIG_INVALID until it is fixed')
  }
  const agentCache: AgentCache = {}
  // Hashes the agent binary now, while no one waits.
  if (config !== undefined) await agentMount(config.shell.agent.path, agentCache)
  // Every session's hang-up: a signal to the worker hangs up all of them.
  const hangUp = new AbortController()
  let live = 0
  let released = false
  const exitWhenIdle = (): void => { if (live === 0) process.exit(0) }
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    process.on(signal, () => { if (live > 0) hangUp.abort(); else process.exit(0) })
  }
  process.on('disconnect', () => { released = true; exitWhenIdle() })
  // Each session's own hang-up, by its id, for the control socket (a revoked user's
  // sessions end; the others this worker serves go on).
  const own = new Map<string, AbortController>()
  listenControl(controlSocket(runDir, process.pid), (ids) => {
    let ended = 0
    for (const id of ids) {
      const c = own.get(id)
      if (c !== undefined && !c.signal.aborted) { c.abort(); ended++ }
    }
    return ended
  }, (err) => log.error({ err }, 'the worker\'s control socket cannot be made: a revoked user\'s sessions here end only with their container'))
  process.on('message', (message: unknown, handle: unknown) => {
    const m = message as { type?: unknown, session?: unknown, uid?: unknown, requestTimeoutMs?: unknown }
    if (m?.type !== 'login' || !(handle instanceof Socket) || typeof m.session !== 'number' || typeof m.uid !== 'number' || typeof m.requestTimeoutMs !== 'number') process.exit(2)
    const session = m.session as number
    live++
    const startedAt = performance.now()
    void serve(handle as Socket, m.uid as number, m.requestTimeoutMs as number, startedAt).catch((err: unknown) => {
      log.error({ err }, 'a session failed in its worker')
      ;(handle as Socket).destroy()
    }).finally(() => {
      live--
      if (process.connected) process.send?.({ type: 'ended', session })
      if (released) exitWhenIdle()
    })
  })
  process.send({ type: 'ready' })

  async function serve (socket: Socket, uid: number, requestTimeoutMs: number, startedAt: number): Promise<void> {
    // Proven by the broker: looked up while the request arrives.
    const caller = callerFromUid(uid, systemIdentitySources(config?.shell.stepTimeoutMs))
    // This session's config and log; the worker's own are the last ones loaded.
    let sessionConfig: Readonly<ShellConfig>
    let slog = log
    // Awaited by login(); a failure before that is no crash.
    caller.catch(() => {})
    let hs
    try {
      hs = await readRequest(socket, requestTimeoutMs)
    } catch (err) {
      slog.warn({ err, uid }, 'a proven login sent no valid request')
      socket.destroy()
      return
    }
    // The config as it is now, for this session (a file that changed since the fork).
    try {
      sessionConfig = await loadShellConfig(configPath as string, { cacheDir })
      slog = loggerFor(sessionConfig)
      config = sessionConfig
      log = slog
      await assertDataDirs(sessionConfig)
    } catch (err) {
      slog.error({ err }, 'the config cannot be loaded, or names directories that cannot be trusted')
      // loadShellConfig's errors are CONFIG_INVALID already; anything else is made one.
      const e = err instanceof ShellError ? err : new ShellError('BASTION_SHELL_CONFIG_INVALID', (err as Error).message, { cause: err })
      hs.channel.send('2', `${e.userMessage}\n`)
      hs.channel.sendJson('X', { code: 125 })
      await ended(hs.channel.socket)
      return
    }
    const session = randomBytes(6).toString('hex')
    const mine = new AbortController()
    own.set(session, mine)
    try {
      await login({ config: sessionConfig, caller, channel: hs.channel, request: hs.request, log: slog, agentCache, hangUp: AbortSignal.any([hangUp.signal, mine.signal]), session, startedAt })
      await ended(hs.channel.socket)
    } finally {
      own.delete(session)
    }
  }
}

// Until what was written to the login shell has left (or it went away).
function ended (socket: Socket | import('node:stream').Duplex): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.writableFinished) { resolve(); return }
    socket.once('finish', resolve)
    socket.once('close', resolve)
    socket.end()
  })
}

if (process.getuid?.() === 0) enableCompileCache('/var/cache/bastion/node-compile-cache')
await main()
