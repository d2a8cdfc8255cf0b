// The start of every login, before anything is trusted: the login shell's hello (the uid
// it claims), the kernel's proof of that uid (proof.ts), and the session request on the
// proven connection. Nothing here reaches Docker or writes anything but the proof socket.
import type { Socket } from 'node:net'
import { frameChannel, json, nextFrame, ProtocolError, windowSize, type FrameChannel } from '../protocol/frame.ts'
import { startProof, type ProofDirs } from './proof.ts'

export interface SessionRequest {
  command: string | undefined
  tty: boolean
  cols: number
  rows: number
  // As the client sent it; session/env.ts keeps only the allowlist.
  env: Record<string, unknown>
  sshConnection: string | undefined
}

export interface Handshake {
  // Proven by the kernel: the uid of the process on the other end of `channel`.
  uid: number
  channel: FrameChannel
  request: SessionRequest
}

export interface HandshakeOptions extends ProofDirs {
  timeoutMs: number
  // Called with the claimed uid as soon as it is known, so that the caller can start
  // looking it up while the proof runs. Its result must be used only after the proof.
  onClaim?: (uid: number) => void
}

export async function handshake (hello: Socket, options: HandshakeOptions): Promise<Handshake> {
  const helloChannel = frameChannel(hello)
  let uid: number
  try {
    const h = json(await nextFrame(helloChannel, ['H'], options.timeoutMs, 'the hello'))
    if (h.v !== 1) throw new ProtocolError(`protocol version ${JSON.stringify(h.v)} is not 1`)
    if (typeof h.uid !== 'number') throw new ProtocolError('the hello names no uid')
    uid = h.uid
    options.onClaim?.(uid)
    const proof = await startProof(uid, options, options.timeoutMs)
    hello.once('close', () => { void proof.cancel() })
    helloChannel.sendJson('P', { path: proof.path })
    const proven = await proof.connection
    if (proven === undefined) throw new ProtocolError(`the login shell claiming uid ${uid} did not prove it: no connection to its proof socket (it hung up, or within ${options.timeoutMs} ms)`)
    const channel = frameChannel(proven)
    const request = parseRequest(json(await nextFrame(channel, ['R'], options.timeoutMs, 'the session request')))
    return { uid, channel, request }
  } finally {
    hello.destroy()
  }
}

export function parseRequest (r: Record<string, unknown>): SessionRequest {
  const { command, tty, env, sshConnection } = r
  if (command !== null && typeof command !== 'string') throw new ProtocolError('the request\'s command is neither null nor a string')
  if (typeof tty !== 'boolean') throw new ProtocolError('the request does not say whether it has a TTY')
  const size = windowSize(r) ?? { cols: 80, rows: 24 }
  return {
    command: command ?? undefined,
    tty,
    ...size,
    env: typeof env === 'object' && env !== null && !Array.isArray(env) ? env as Record<string, unknown> : {},
    sshConnection: typeof sshConnection === 'string' ? sshConnection : undefined
  }
}
