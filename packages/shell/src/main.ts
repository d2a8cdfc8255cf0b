// A login, start to end: who is calling (from the kernel), may they, their container,
// the session in it, and the audit lines around it. Every step has a deadline, and any
// failure gives the user one short sentence with a code while the log gets the detail.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { readFile, readlink } from 'node:fs/promises'
import { httpEngine } from './docker/engine.ts'
import pino, { type Logger } from 'pino'
import type { ShellConfig } from './config/schema.ts'
import { ShellError, toShellError } from './errors.ts'
import { callerFromKernel, systemIdentitySources, type Caller } from './identity.ts'
import { ensureContainer } from './container/manager.ts'
import { assertRoomForSession } from './container/limits.ts'
import { runSession, type SessionIo } from './session/run.ts'
import { startRecording, type Recorder } from './session/recorder.ts'
import { auditTrail, sourceOf, type SessionRecord } from './audit.ts'
import { touchActivity } from './container/activity.ts'
import { ppidOf } from './proc.ts'

export interface Invocation {
  // undefined: an interactive login.
  command: string | undefined
}

// The only client variables that reach the container.
const ENV_ALLOW = /^(TERM|LANG|LC_[A-Z_]+)$/

export function sessionEnv (env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter(([k, v]) => ENV_ALLOW.test(k) && v !== undefined && !v.includes('\n')).map(([k, v]) => `${k}=${v as string}`)
}

export function shellLogger (config: Readonly<ShellConfig>): Logger {
  return pino({ level: config.shell.log.level, base: { component: 'shell', pid: process.pid } },
    pino.destination({ dest: config.shell.log.file, mkdir: true, sync: true, append: true }))
}

export async function login (config: Readonly<ShellConfig>, inv: Invocation, io: SessionIo, log: Logger): Promise<number> {
  const started = Date.now()
  // Milliseconds from the runner's start to each step's end, logged with the session's
  // end: where a slow login spends its time.
  const steps: Record<string, number> = { runnerStart: Math.round(performance.now()) }
  const mark = (step: string): void => { steps[step] = Math.round(performance.now()) }
  const session = randomBytes(6).toString('hex')
  const docker = httpEngine(config.shell.dockerSocket, config.shell.stepTimeoutMs)
  // Docker is asked while the identity is worked out; its answer is awaited only for
  // a caller who may log in.
  const reachable = deadline(docker.ping(), config.shell.stepTimeoutMs, 'reaching Docker').then(() => undefined, (err: unknown) => err)
  let caller: Caller
  try {
    caller = await deadline(callerFromKernel(systemIdentitySources()), config.shell.stepTimeoutMs, 'establishing the identity')
    mark('identity')
  } catch (err) {
    return fail(err, io, log.child({ session }))
  }
  const slog = log.child({ session, user: caller.user })
  if (!caller.groups.includes(config.shell.allowedGroup)) {
    return fail(new ShellError('BASTION_SHELL_NOT_ALLOWED', `${caller.user} is not in group ${config.shell.allowedGroup}`), io, slog)
  }
  let container: { id: string, name: string, pid: number }
  try {
    const down = await reachable
    if (down !== undefined) {
      throw new ShellError('BASTION_SHELL_DOCKER_UNAVAILABLE', `Docker does not answer on ${config.shell.dockerSocket}: ${(down as Error).message}`, { cause: down })
    }
    container = await deadline(ensureContainer(docker, config, caller, slog), config.shell.stepTimeoutMs, 'preparing the container')
    await assertRoomForSession(container.pid, container.name)
    mark('container')
  } catch (err) {
    return fail(err, io, slog)
  }
  const tty = io.stdin.isTTY === true && io.stdout.isTTY === true
  const recordingPath = tty && config.shell.audit.record ? join(config.shell.audit.recordingsDir, caller.user, `${new Date(started).toISOString().replace(/[:.]/g, '-')}-${session}.cast`) : null
  const record: SessionRecord = {
    session,
    user: caller.user,
    uid: caller.uid,
    source: sourceOf(process.env.SSH_CONNECTION),
    container: container.name,
    command: inv.command ?? null,
    tty,
    recording: recordingPath
  }
  const audit = auditTrail(config.shell.audit.file)
  audit.start(record)
  slog.info({ container: container.name, command: inv.command, tty }, 'session started')
  let recorder: Recorder | undefined
  if (recordingPath !== null) {
    recorder = startRecording(recordingPath, { cols: io.stdout.columns ?? 80, rows: io.stdout.rows ?? 24, term: process.env.TERM ?? 'xterm', title: `${caller.user}@bastion`, startMs: started },
      (err) => slog.error({ err, recording: recordingPath }, 'recording failed; the session goes on unrecorded'))
  }
  let result = { exitCode: 125, reason: 'failed' }
  try {
    result = await runSession(docker, container.id, { command: inv.command, tty, env: sessionEnv(process.env), user: caller.user, uid: caller.uid, gid: caller.gid }, io, {
      idleMs: config.shell.idleTimeoutSeconds * 1000,
      maxMs: config.shell.maxSessionSeconds * 1000,
      watchPid: await sshdAncestor()
    }, slog, recorder, mark)
    return result.exitCode
  } catch (err) {
    return fail(err, io, slog)
  } finally {
    await recorder?.close()
    await touchActivity(config, container.name).catch(() => {})
    audit.end(record, { exitCode: result.exitCode, durationMs: Date.now() - started, reason: result.reason })
    mark('end')
    slog.info({ exitCode: result.exitCode, reason: result.reason, ms: Date.now() - started, steps }, 'session ended')
  }
}

function fail (err: unknown, io: SessionIo, log: Logger): number {
  const e = limitsHint(toShellError(err))
  log.error({ err: e, code: e.code }, 'login failed')
  io.stderr.write(`${e.userMessage}\n`)
  return 125
}

// Docker's own words for a container that hit its limits, turned into our code.
function limitsHint (e: ShellError): ShellError {
  if (e.code === 'BASTION_SHELL_INTERNAL' && /pids|memory|resource|OCI runtime/i.test(e.message)) {
    return new ShellError('BASTION_SHELL_LIMITS_REACHED', e.message, { cause: e })
  }
  if (e.code === 'BASTION_SHELL_INTERNAL' && /ECONNREFUSED|ENOENT.*docker\.sock|socket hang up/i.test(e.message)) {
    return new ShellError('BASTION_SHELL_DOCKER_UNAVAILABLE', e.message, { cause: e })
  }
  return e
}

async function deadline<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ShellError('BASTION_SHELL_TIMEOUT', `${what} took longer than ${ms} ms`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

// The sshd process serving this connection: when it is gone, so is the client.
async function sshdAncestor (): Promise<number | undefined> {
  let pid = process.ppid
  for (let i = 0; i < 6 && pid > 1; i++) {
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => '')
    if (/\/sshd$/.test(exe)) return pid
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    pid = ppidOf(stat)
    if (!Number.isInteger(pid)) return undefined
  }
  return undefined
}
