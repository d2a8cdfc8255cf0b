// A login after the handshake, start to end, in a broker worker: may this proven user
// log in, their container, the session in it (by the agent, or by docker exec), and the
// audit lines around it. Every step has a deadline, and any failure gives the user one
// short sentence with a code while the log gets the detail.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { httpEngine, type Engine } from './docker/engine.ts'
import type { ShellConfig } from './config/schema.ts'
import { ShellError, toShellError } from './errors.ts'
import type { Caller } from './identity.ts'
import { ensureContainer } from './container/manager.ts'
import { containerName } from './container/name.ts'
import { assertRoomForSession } from './container/limits.ts'
import { agentMount, type AgentCache } from './container/agent-binary.ts'
import { runDirs } from './broker/run-dir.ts'
import { touchActivity } from './container/activity.ts'
import { relay, type SessionResult } from './session/run.ts'
import { startAgentSession } from './session/agent.ts'
import { startExecSession } from './session/exec.ts'
import { sessionEnv } from './session/env.ts'
import type { Backend, CommandSpec } from './session/backend.ts'
import { registerSession } from './session/registry.ts'
import { startRecording, type Recorder, type RecordingSummary } from './session/recorder.ts'
import { recordingBudget } from './session/recording-budget.ts'
import { sessionKind } from './session/kind.ts'
import { statedReason } from './session/reason.ts'
import { auditTrail, sourceOf, type AuditTrail, type SessionRecord } from './audit.ts'
import type { FrameChannel } from './protocol/frame.ts'
import type { SessionRequest } from './broker/handshake.ts'

export interface LoginContext {
  config: Readonly<ShellConfig>
  // Resolves with the caller of the proven uid (identity.ts), started during the proof.
  caller: Promise<Caller>
  channel: FrameChannel
  request: SessionRequest
  log: Logger
  agentCache: AgentCache
  // Aborted when the worker is told to stop (SIGTERM, SIGHUP), or to end this session
  // (broker/worker-control.ts): the session ends.
  hangUp: AbortSignal
  // The session's id, as its worker named it (so that it can end it); random if unset.
  session?: string
  // performance.now() when the login shell's connection reached this worker.
  startedAt: number
}

export function shellLogger (config: Readonly<ShellConfig>): Logger {
  return pino({ level: config.shell.log.level, base: { component: 'shell', pid: process.pid } },
    pino.destination({ dest: config.shell.log.file, mkdir: true, sync: true, append: true }))
}

// Serves the session and resolves with its exit status, once the X frame is on its way.
export async function login (ctx: LoginContext): Promise<number> {
  const { config, channel, request } = ctx
  const started = Date.now()
  // Milliseconds from the connection's arrival to each step's end, logged with the
  // session's end: where a slow login spends its time.
  const steps: Record<string, number> = {}
  const mark = (step: string): void => { steps[step] = Math.round(performance.now() - ctx.startedAt) }
  const session = ctx.session ?? randomBytes(6).toString('hex')
  const docker = httpEngine(config.shell.dockerSocket, config.shell.stepTimeoutMs)
  const exit = (code: number): number => { channel.sendJson('X', { code }); channel.socket.end(); return code }
  // Asked while the identity is looked up; awaited only for a caller who may log in.
  const reachable = deadline(docker.ping(), config.shell.stepTimeoutMs, 'reaching Docker').then(() => undefined, (err: unknown) => err)
  // Looked up meanwhile too, and never a rejection that nobody awaits yet.
  const agent = agentMount(config.shell.agent.path, ctx.agentCache).catch((err: unknown) => ({ mount: null, why: (err as Error).message }))
  let caller: Caller
  try {
    caller = await deadline(ctx.caller, config.shell.stepTimeoutMs, 'establishing the identity')
    mark('identity')
  } catch (err) {
    return exit(fail(err, channel, ctx.log.child({ session })))
  }
  const slog = ctx.log.child({ session, user: caller.user })
  if (!caller.groups.includes(config.shell.allowedGroup)) {
    return exit(fail(new ShellError('BASTION_SHELL_NOT_ALLOWED', `${caller.user} is not in group ${config.shell.allowedGroup}`), channel, slog))
  }
  // Refused here, before any container work: a missing or unacceptable reason.
  let stated: string | null
  try {
    stated = statedReason(config.shell.reason, request.reason)
  } catch (err) {
    return exit(fail(err, channel, slog))
  }
  const name = containerName(caller.user)
  // Registered before the container is looked at, so a racing login that would
  // recreate an outdated container sees this session as live.
  const unregister = await registerSession(config, name, session)
  let result: SessionResult = { exitCode: 125, reason: 'exited' }
  let record: SessionRecord | undefined
  let audit: AuditTrail | undefined
  let recorder: Recorder | undefined
  let recorded: RecordingSummary | undefined
  // The session's end is on disk (the recording closed, the end line written) before
  // the client hears its exit status: whoever sees a session end finds its end line.
  const code = await (async (): Promise<number> => {
    try {
      let container: Awaited<ReturnType<typeof ensureContainer>>
      try {
        const down = await reachable
        if (down !== undefined) {
          throw new ShellError('BASTION_SHELL_DOCKER_UNAVAILABLE', `Docker does not answer on ${config.shell.dockerSocket}: ${(down as Error).message}`, { cause: down })
        }
        const found = await agent
        if (found.mount === null) slog.warn({ agent: config.shell.agent.path, why: found.why }, 'no usable agent binary: new containers get none, and their sessions use docker exec')
        container = await deadline(ensureContainer(docker, config, caller, slog, { agent: found.mount, session }), config.shell.stepTimeoutMs, 'preparing the container')
        mark('container')
        await assertRoomForSession(container.pid, container.name)
      } catch (err) {
        return fail(err, channel, slog)
      }
      // Every session is recorded but a file transfer, whose content is the files
      // (session/kind.ts): a shell and a command alike, with a TTY or without.
      const kind = sessionKind(request.command)
      const recordingPath = kind.transfer === null && config.shell.audit.record ? join(config.shell.audit.recordingsDir, caller.user, `${new Date(started).toISOString().replace(/[:.]/g, '-')}-${session}.cast`) : null
      record = {
        session,
        user: caller.user,
        uid: caller.uid,
        source: sourceOf(request.sshConnection),
        container: container.name,
        kind: kind.kind,
        command: request.command ?? (kind.kind === 'shell' ? 'bash -l' : null),
        transfer: kind.transfer,
        tty: request.tty,
        recording: recordingPath,
        statedReason: stated
      }
      // The session-start line is on disk before anything runs: a login whose audit trail
      // cannot be written (a full or read-only disk) is refused, and nothing has started.
      try {
        audit = auditTrail(config.shell.audit.file)
        audit.start(record)
      } catch (err) {
        audit = undefined
        return fail(new ShellError('BASTION_SHELL_AUDIT_UNAVAILABLE', `the audit trail ${config.shell.audit.file} cannot be written: ${(err as Error).message}`, { cause: err }), channel, slog)
      }
      const backend: Backend = await deadline(startBackend(docker, config, container, commandSpec(request, caller), session, slog), config.shell.stepTimeoutMs, 'starting the session')
      mark('started')
      slog.info({ container: container.name, command: request.command, tty: request.tty, statedReason: stated, backend: backend.kind, commandPid: backend.pid }, 'session started')
      if (recordingPath !== null) {
        const term = typeof request.env.TERM === 'string' ? request.env.TERM : 'xterm'
        const budget = await recordingBudget(config, caller.user)
        recorder = startRecording(recordingPath, { cols: request.cols, rows: request.rows, term, title: `${caller.user}@bastion`, startMs: started },
          (err) => slog.error({ err, recording: recordingPath }, 'recording failed; the session goes on unrecorded'),
          { ...budget, onCut: (cut) => slog.warn({ recording: recordingPath, ...cut }, `recording cut at its ${cut.scope === 'user' ? 'user' : 'session'} cap; the session goes on unrecorded`) })
      }
      result = await relay(backend, { channel, tty: request.tty }, {
        idleMs: config.shell.idleTimeoutSeconds * 1000,
        maxMs: config.shell.maxSessionSeconds * 1000
      }, slog, recorder, ctx.hangUp)
      return result.exitCode
    } catch (err) {
      return fail(err, channel, slog)
    } finally {
      recorded = await recorder?.close()
      await unregister().catch(() => {})
      await touchActivity(config, name).catch(() => {})
      if (record !== undefined) audit?.end(record, { exitCode: result.exitCode, durationMs: Date.now() - started, reason: result.reason, recordingCut: recorded?.cut ?? false })
      mark('end')
      slog.info({ exitCode: result.exitCode, reason: result.reason, ms: Date.now() - started, steps }, 'session ended')
    }
  })()
  return exit(code)
}

function commandSpec (request: SessionRequest, caller: Caller): CommandSpec {
  return { command: request.command, tty: request.tty, cols: request.cols, rows: request.rows, env: sessionEnv(request.env), user: caller.user, uid: caller.uid, gid: caller.gid }
}

// The agent when the container has one and it answers; docker exec otherwise.
async function startBackend (docker: Engine, config: Readonly<ShellConfig>, container: { id: string, agent: boolean, agentDir: string }, spec: CommandSpec, session: string, log: Logger): Promise<Backend> {
  if (container.agent) {
    const viaAgent = await startAgentSession({ dir: container.agentDir, privateDir: runDirs(config.shell.broker.runDir).privateDir, session, timeoutMs: config.shell.agent.timeoutMs }, spec, log)
    if (viaAgent !== undefined) return viaAgent
    log.warn({ container: container.id }, 'the agent did not answer: this session uses docker exec')
  }
  return startExecSession(docker, container.id, spec, log)
}

function fail (err: unknown, channel: FrameChannel, log: Logger): number {
  const e = limitsHint(toShellError(err))
  log.error({ err: e, code: e.code }, 'login failed')
  channel.send('2', `${e.userMessage}\n`)
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

export async function deadline<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ShellError('BASTION_SHELL_TIMEOUT', `${what} took longer than ${ms} ms`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}
