// One SSH session, relayed between the user's login shell (the client's frames) and the
// command in the container (a Backend): input and resizes in, output out, byte-exact
// and with backpressure both ways. The broker's side of the rules lives here, where the
// user cannot reach it: output is recorded (and input without a TTY), and idle time and maximum length end the
// session with a message. A client that goes away, or a hang-up of the worker, ends it
// too. When a session ends early, everything the command started is killed.
import { finished, type Writable } from 'node:stream'
import type { Logger } from 'pino'
import { frameWriter, json, windowSize, type FrameChannel } from '../protocol/frame.ts'
import type { Backend } from './backend.ts'
import type { Recorder } from './recorder.ts'

export interface ClientSide {
  channel: FrameChannel
  tty: boolean
}

export interface SessionLimits {
  idleMs: number // 0: none
  maxMs: number // 0: none
}

export type EndReason = 'exited' | 'idle' | 'max-length' | 'hang-up' | 'client-gone'

export interface SessionResult { exitCode: number, reason: EndReason }

export async function relay (backend: Backend, client: ClientSide, limits: SessionLimits, log: Logger, recorder?: Recorder, hangUp?: AbortSignal): Promise<SessionResult> {
  const { channel, tty } = client
  let reason: EndReason = 'exited'
  let lastActivity = Date.now()
  const activity = (): void => { lastActivity = Date.now() }
  const timers: NodeJS.Timeout[] = []
  let commandExited = false

  // End early: say why on the user's terminal, then kill what the command started; or,
  // once the command has exited and only its output waits for the client, cut the
  // client off, since that output is all that holds the session open.
  const stop = (why: EndReason, message?: string): void => {
    if (reason !== 'exited') return
    reason = why
    if (message !== undefined) channel.send('2', `${tty ? '\r\n' : ''}bastion: ${message}${tty ? '\r\n' : '\n'}`)
    if (commandExited) channel.socket.destroy()
    else void backend.kill().catch((err: unknown) => log.warn({ err }, 'could not kill the session'))
  }

  backend.stdin.on('error', (err) => log.debug({ err }, 'the command\'s stdin is closed'))
  channel.on('frame', (f) => {
    if (f.type === '0') {
      activity()
      // Without a TTY nothing echoes it: the input is what the shell runs.
      if (!tty) recorder?.input(f.payload)
      if (!backend.stdin.write(f.payload)) {
        channel.pause()
        backend.stdin.once('drain', () => channel.resume())
      }
    } else if (f.type === 'E') {
      // Half-close: the command sees EOF and can finish (cat, sftp-server). With a
      // TTY, EOF is a byte the user types, and the client's stdin ends only at hang-up.
      if (!tty) backend.stdin.end()
    } else if (f.type === 'W') {
      const size = windowSize(json(f))
      if (size === undefined) return
      recorder?.resize(size.cols, size.rows)
      backend.resize(size.cols, size.rows)
    } else {
      log.warn({ type: f.type }, 'unexpected frame from the login shell; ending the session')
      stop('client-gone')
    }
  })
  // The command's output flows from here on; only then may anything stop it.
  // Dropped once the client is gone; the recording sees the output either way.
  const recorded = (chunk: Buffer): void => { activity(); recorder?.output(chunk) }
  const stdout = frameWriter(channel, '1', { onWrite: recorded })
  const stderr = frameWriter(channel, '2', { onWrite: recorded })
  const exited = backend.run(stdout, stderr)
  const gone = (): void => stop('client-gone')
  channel.once('end', gone)
  channel.once('error', (err) => { log.info({ err }, 'the login shell\'s connection failed'); gone() })
  channel.socket.once('close', gone)
  hangUp?.addEventListener('abort', () => stop('hang-up'), { once: true })
  if (hangUp?.aborted === true) stop('hang-up')

  if (limits.idleMs > 0) {
    const tick = (): void => {
      const idle = Date.now() - lastActivity
      if (idle >= limits.idleMs) stop('idle', `session ended after ${spokenDuration(limits.idleMs)} without activity`)
      else timers.push(setTimeout(tick, limits.idleMs - idle))
    }
    timers.push(setTimeout(tick, limits.idleMs))
  }
  if (limits.maxMs > 0) timers.push(setTimeout(() => stop('max-length', 'session reached its maximum length'), limits.maxMs))

  channel.resume()
  const exitCode = await exited
  // The command's last output may still wait in the writers for a client that reads
  // slowly: all of it goes out before the caller sends the exit status, or the client
  // would end on the status and lose the tail. The limits stay armed meanwhile.
  commandExited = true
  await Promise.all([flushed(stdout), flushed(stderr)])
  for (const t of timers) clearTimeout(t)
  channel.removeListener('end', gone)
  channel.socket.removeListener('close', gone)
  return { exitCode: exitCode < 0 ? 255 : exitCode, reason }
}

// Ends a writer and resolves once what it holds has been handed to the socket, or
// dropped because the client is gone.
function flushed (w: Writable): Promise<void> {
  return new Promise((resolve) => {
    finished(w, () => resolve())
    w.end()
  })
}

// A limit as the user reads it: in minutes when it is whole minutes, else in seconds
// (never "0 minutes").
export function spokenDuration (ms: number): string {
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
  return ms >= 60_000 && ms % 60_000 === 0 ? unit(ms / 60_000, 'minute') : unit(Math.max(1, Math.round(ms / 1000)), 'second')
}
