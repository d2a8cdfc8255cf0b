// One SSH session inside the user's container: a `docker exec` as the user's uid, with
// a TTY only when sshd gave one, stdout and stderr kept apart otherwise, stdin
// half-closed at EOF, resizes passed on, and the command's exit code returned. The
// terminal is restored on every path, and when the session ends early (hang-up, idle,
// maximum length, the client gone) every process the exec started is killed.
import { readdir, readFile } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import type { Engine, Exec } from '../docker/engine.ts'
import type { Logger } from 'pino'
import { demux } from './demux.ts'
import { alive, ppidOf } from '../proc.ts'
import type { Recorder } from './recorder.ts'

export interface SessionRequest {
  // undefined: an interactive login shell.
  command: string | undefined
  tty: boolean
  env: string[]
  user: string
  uid: number
  gid: number
}

export interface SessionIo {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
}

export interface SessionLimits {
  idleMs: number // 0: none
  maxMs: number // 0: none
  // A process whose end means the client is gone (the sshd of this connection).
  watchPid?: number | undefined
}

export type EndReason = 'exited' | 'idle' | 'max-length' | 'hang-up' | 'client-gone'

export interface SessionResult { exitCode: number, reason: EndReason }

const WATCH_MS = 1000

export async function runSession (docker: Engine, containerId: string, req: SessionRequest, io: SessionIo, limits: SessionLimits, log: Logger, recorder?: Recorder, mark: (step: string) => void = () => {}): Promise<SessionResult> {
  const home = `/home/${req.user}`
  const exec = await docker.getContainer(containerId).exec({
    Cmd: commandLine(req, io),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: req.tty,
    Env: req.env,
    User: `${req.uid}:${req.gid}`,
    WorkingDir: home
  })
  mark('execCreated')
  const stream: Duplex = await exec.start({ hijack: true, stdin: true, Tty: req.tty })
  mark('execStarted')
  const rawMode = req.tty && io.stdin.isTTY
  if (rawMode) io.stdin.setRawMode(true)
  const restore = (): void => { if (rawMode && io.stdin.isTTY) io.stdin.setRawMode(false) }
  process.once('exit', restore)

  let reason: EndReason = 'exited'
  let lastActivity = Date.now()
  const activity = (): void => { lastActivity = Date.now() }
  const timers: NodeJS.Timeout[] = []
  const finished = new Promise<void>((resolve) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', (err) => { log.warn({ err }, 'exec stream failed'); resolve() })
  })

  // End early: say why on the user's terminal, then kill what the exec started.
  const stop = (why: EndReason, message?: string): void => {
    if (reason !== 'exited') return
    reason = why
    if (message !== undefined) io.stderr.write(`${req.tty ? '\r\n' : ''}bastion: ${message}${req.tty ? '\r\n' : '\n'}`, () => {})
    void killExec(exec, log).finally(() => stream.destroy())
  }

  if (req.tty) {
    stream.on('data', (chunk: Buffer) => { activity(); recorder?.output(chunk); io.stdout.write(chunk) })
    const resize = (): void => {
      const cols = io.stdout.columns ?? 80
      const rows = io.stdout.rows ?? 24
      recorder?.resize(cols, rows)
      exec.resize({ h: rows, w: cols }).catch((err: unknown) => log.debug({ err }, 'resize failed'))
    }
    resize()
    process.on('SIGWINCH', resize)
  } else {
    demux(stream, io.stdout, io.stderr, activity)
  }

  io.stdin.on('data', activity)
  io.stdin.pipe(stream, { end: false })
  io.stdin.once('end', () => {
    // Half-close: the command sees EOF on its stdin and can finish (cat, sftp-server).
    if (!req.tty) stream.end()
  })
  io.stdout.on('error', (err) => { log.info({ err }, 'the client side of stdout closed'); stop('client-gone') })
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    process.on(signal, () => stop('hang-up'))
  }
  if (limits.idleMs > 0) {
    const tick = (): void => {
      const idle = Date.now() - lastActivity
      if (idle >= limits.idleMs) stop('idle', `session ended after ${Math.round(limits.idleMs / 60000)} minutes without activity`)
      else timers.push(setTimeout(tick, limits.idleMs - idle))
    }
    timers.push(setTimeout(tick, limits.idleMs))
  }
  if (limits.maxMs > 0) timers.push(setTimeout(() => stop('max-length', 'session reached its maximum length'), limits.maxMs))
  if (limits.watchPid !== undefined) {
    const pid = limits.watchPid
    const watch = setInterval(() => { if (!alive(pid)) { log.info({ sshd: pid }, 'the sshd of this connection is gone'); stop('client-gone') } }, WATCH_MS)
    watch.unref()
    timers.push(watch)
  }

  await finished
  mark('execEnded')
  for (const t of timers) clearTimeout(t)
  io.stdin.unpipe(stream)
  io.stdin.pause()
  restore()
  process.removeListener('exit', restore)
  const exitCode = await exitCodeOf(exec)
  return { exitCode: reason === 'exited' ? exitCode : (exitCode === -1 ? 255 : exitCode), reason }
}

// With a TTY the window size is set inside the container before the user's program
// starts: an exec resize only arrives after the program may have asked for the size.
// The command travels as an argument, never spliced into the script.
function commandLine (req: SessionRequest, io: SessionIo): string[] {
  if (!req.tty) return req.command === undefined ? ['bash', '-l'] : ['bash', '-c', req.command]
  const size = ['bastion', String(io.stdout.columns ?? 80), String(io.stdout.rows ?? 24)]
  return req.command === undefined
    ? ['bash', '-c', 'stty cols "$1" rows "$2" 2>/dev/null; exec bash -l', ...size]
    : ['bash', '-c', 'stty cols "$1" rows "$2" 2>/dev/null; exec bash -c "$3"', ...size, req.command]
}

async function exitCodeOf (exec: Exec): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect().catch(() => undefined)
    if (info !== undefined && !info.Running) return info.ExitCode ?? 255
    await new Promise((r) => setTimeout(r, 20))
  }
  return -1
}

// Docker has no "kill exec": find the exec's process on the host and kill it and all
// its descendants, so nothing it started outlives the session.
async function killExec (exec: Exec, log: Logger): Promise<void> {
  const info = await exec.inspect().catch(() => undefined)
  const pid = info?.Pid
  if (pid === undefined || pid <= 0 || info?.Running !== true) return
  const tree = await descendants(pid)
  for (const p of [pid, ...tree]) {
    try { process.kill(p, 'SIGKILL') } catch { /* already gone */ }
  }
  log.info({ pid, killed: tree.length + 1 }, 'killed the session processes')
}

async function descendants (root: number): Promise<number[]> {
  const children = new Map<number, number[]>()
  for (const entry of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const ppid = ppidOf(stat)
    if (!Number.isInteger(ppid)) continue
    const list = children.get(ppid) ?? []
    list.push(Number(entry))
    children.set(ppid, list)
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) { out.push(c); queue.push(c) }
  }
  return out
}

