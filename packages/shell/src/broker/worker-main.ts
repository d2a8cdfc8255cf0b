// A session worker: forked by the broker ahead of any login, it loads every module and
// the config, says it is ready, serves exactly one login handed to it (a connection
// whose uid the broker has proven), and exits. An
// idle worker exits when its broker is gone; a busy one finishes its session first.
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

async function main (): Promise<void> {
  const configPath = process.env.BASTION_CONFIG
  const runDir = process.env.BASTION_SHELL_RUN_DIR
  if (process.send === undefined || configPath === undefined || runDir === undefined) {
    process.stderr.write('bastion-shell worker: started without its broker\n')
    process.exit(2)
  }
  // The validated config's cache (config/load.ts), in the broker's root-only directory.
  const cacheDir = runDirs(runDir).configCache
  // A config broken since the broker started must not stop workers from starting: each
  // login then gets BASTION_SHELL_CONFIG_INVALID at once, and the journal says why.
  let config: Readonly<ShellConfig> | undefined
  let log: Logger
  try {
    config = await loadShellConfig(configPath, { cacheDir })
    log = shellLogger(config)
  } catch (err) {
    log = pino({ base: { component: 'shell', pid: process.pid } }, pino.destination(2))
    log.error({ err }, 'the config cannot be loaded: logins get BASTION_SHELL_CONFIG_INVALID until it is fixed')
  }
  const agentCache: AgentCache = {}
  // Hashes the agent binary now, while no one waits.
  if (config !== undefined) await agentMount(config.shell.agent.path, agentCache)
  const hangUp = new AbortController()
  let busy = false
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    process.on(signal, () => { if (busy) hangUp.abort(); else process.exit(0) })
  }
  process.on('disconnect', () => { if (!busy) process.exit(0) })
  process.once('message', (message: unknown, handle: unknown) => {
    const m = message as { type?: unknown, uid?: unknown, requestTimeoutMs?: unknown }
    if (m?.type !== 'login' || !(handle instanceof Socket) || typeof m.uid !== 'number' || typeof m.requestTimeoutMs !== 'number') process.exit(2)
    busy = true
    const startedAt = performance.now()
    void serve(handle as Socket, m.uid as number, m.requestTimeoutMs as number, startedAt).then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'session worker failed')
      process.exit(1)
    })
  })
  process.send({ type: 'ready' })

  async function serve (socket: Socket, uid: number, requestTimeoutMs: number, startedAt: number): Promise<void> {
    // Proven by the broker: looked up while the request arrives.
    const caller = callerFromUid(uid, systemIdentitySources(config?.shell.stepTimeoutMs))
    // Awaited by login(); a failure before that is no crash.
    caller.catch(() => {})
    let hs
    try {
      hs = await readRequest(socket, requestTimeoutMs)
    } catch (err) {
      log.warn({ err, uid }, 'a proven login sent no valid request')
      socket.destroy()
      return
    }
    // The config as it is now, for this session (a file that changed since the fork).
    try {
      config = await loadShellConfig(configPath as string, { cacheDir })
      log = shellLogger(config)
      await assertDataDirs(config)
    } catch (err) {
      log.error({ err }, 'the config cannot be loaded, or names directories that cannot be trusted')
      // loadShellConfig's errors are CONFIG_INVALID already; anything else is made one.
      const e = err instanceof ShellError ? err : new ShellError('BASTION_SHELL_CONFIG_INVALID', (err as Error).message, { cause: err })
      hs.channel.send('2', `${e.userMessage}\n`)
      hs.channel.sendJson('X', { code: 125 })
      await ended(hs.channel.socket)
      return
    }
    await login({ config, caller, channel: hs.channel, request: hs.request, log, agentCache, hangUp: hangUp.signal, startedAt })
    await ended(hs.channel.socket)
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
