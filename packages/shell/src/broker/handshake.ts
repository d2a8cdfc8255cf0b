// The start of every login, before anything is trusted: the login shell's hello (the uid
// it claims), the kernel's proof of that uid (proof.ts), and the session request on the
// proven connection. Nothing here reaches Docker or writes anything but the proof socket.
// The broker's main process proves the uid (proveUid); the worker that serves the login
// reads its request (readRequest).
import type { Socket } from 'node:net'
import { frameChannel, json, nextFrame, ProtocolError, windowSize, type FrameChannel } from '../protocol/frame.ts'
import { startProof, type ProofDirs } from './proof.ts'
import type { ReasonMode } from '../session/reason.ts'

export interface SessionRequest {
  command: string | undefined
  tty: boolean
  cols: number
  rows: number
  // As the client sent it; session/env.ts keeps only the allowlist.
  env: Record<string, unknown>
  sshConnection: string | undefined
  // The person's reason for the session, unchecked (session/reason.ts checks it).
  reason: string | undefined
}

export interface Handshake {
  // Proven by the kernel: the uid of the process on the other end of `channel`.
  uid: number
  channel: FrameChannel
  request: SessionRequest
}

export interface HandshakeOptions extends ProofDirs {
  // One deadline for all of it: the hello, the proof and (in handshake()) the request.
  timeoutMs: number
  // Called with the claimed uid as soon as it is known, so that the caller can start
  // looking it up, or count it, while the proof runs. Its result must be used only after
  // the proof.
  onClaim?: (uid: number) => void
  // Aborted when the broker has closed this connection to make room: whatever it says
  // after that gets no proof.
  signal?: AbortSignal
  // shell.reason as it is now, told to the client in P so that it knows whether to ask
  // the person; off when unset.
  reason?: () => ReasonMode | Promise<ReasonMode>
}

export interface ProvenConnection {
  uid: number
  // The connection to the proof socket, paused and unread: the session channel.
  socket: Socket
  // The shell.reason the client was told in P.
  reason: ReasonMode
}

// The hello and the proof, on the broker's side: who is on the other end, as the kernel
// proved it. The hello connection is closed either way.
export async function proveUid (hello: Socket, options: HandshakeOptions): Promise<ProvenConnection> {
  const until = Date.now() + options.timeoutMs
  const left = (): number => Math.max(1, until - Date.now())
  const helloChannel = frameChannel(hello)
  try {
    const h = json(await nextFrame(helloChannel, ['H'], left(), 'the hello'))
    if (h.v !== 1) throw new ProtocolError(`protocol version ${JSON.stringify(h.v)} is not 1`)
    if (typeof h.uid !== 'number') throw new ProtocolError('the hello names no uid')
    const uid = h.uid
    const evicted = (): ProtocolError => new ProtocolError(`the connection claiming uid ${uid} was closed to make room for newer ones`)
    // A function, not a value: the signal may fire at any await (and within onClaim).
    const aborted = (): boolean => options.signal?.aborted === true
    if (aborted()) throw evicted()
    options.onClaim?.(uid)
    if (aborted()) throw evicted()
    const reason = await options.reason?.() ?? 'off'
    if (aborted()) throw evicted()
    const proof = await startProof(uid, options, left())
    if (hello.destroyed || aborted()) { await proof.cancel(); throw aborted() ? evicted() : new ProtocolError(`the login shell claiming uid ${uid} went away before its proof`) }
    hello.once('close', () => { void proof.cancel() })
    options.signal?.addEventListener('abort', () => { void proof.cancel() }, { once: true })
    helloChannel.sendJson('P', { path: proof.path, reason })
    const proven = await proof.connection
    if (proven !== undefined && aborted()) { proven.destroy(); throw evicted() }
    if (proven === undefined) throw new ProtocolError(`the login shell claiming uid ${uid} did not prove it: no connection to its proof socket (it hung up, or within ${options.timeoutMs} ms)`)
    return { uid, socket: proven, reason }
  } finally {
    hello.destroy()
  }
}

// The session request on a proven connection, within the deadline's rest.
export async function readRequest (socket: Socket, timeoutMs: number): Promise<{ channel: FrameChannel, request: SessionRequest }> {
  const channel = frameChannel(socket)
  const request = parseRequest(json(await nextFrame(channel, ['R'], timeoutMs, 'the session request')))
  return { channel, request }
}

// All of the handshake in one place (the tests', and any caller that serves the login
// where it proves it).
export async function handshake (hello: Socket, options: HandshakeOptions): Promise<Handshake> {
  const until = Date.now() + options.timeoutMs
  const { uid, socket } = await proveUid(hello, options)
  return { uid, ...await readRequest(socket, Math.max(1, until - Date.now())) }
}

export function parseRequest (r: Record<string, unknown>): SessionRequest {
  const { command, tty, env, sshConnection, reason } = r
  if (command !== null && typeof command !== 'string') throw new ProtocolError('the request\'s command is neither null nor a string')
  if (reason !== undefined && reason !== null && typeof reason !== 'string') throw new ProtocolError('the request\'s reason is neither absent, null nor a string')
  if (typeof tty !== 'boolean') throw new ProtocolError('the request does not say whether it has a TTY')
  const size = windowSize(r) ?? { cols: 80, rows: 24 }
  return {
    command: command ?? undefined,
    tty,
    ...size,
    env: typeof env === 'object' && env !== null && !Array.isArray(env) ? env as Record<string, unknown> : {},
    sshConnection: typeof sshConnection === 'string' ? sshConnection : undefined,
    reason: typeof reason === 'string' ? reason : undefined
  }
}
