// The frames of the session protocol (docs/shell/protocol.md): a type letter, a 4-byte
// big-endian length and the payload. The client and the agent (Go, packages/shell/native)
// speak the same format; both codecs check the test vectors in native/testdata/frames.hex.
import { EventEmitter } from 'node:events'
import { Writable, type Duplex } from 'node:stream'
import type { BorrowedReads } from './borrowed-reads.ts'

export const MAX_PAYLOAD = 1024 * 1024
// What a sender puts in one data frame at most.
export const DATA_CHUNK = 64 * 1024

export const FRAME_TYPES = ['H', 'P', 'R', 'S', 'F', '0', 'E', 'W', '1', '2', 'K', 'X'] as const
export type FrameType = typeof FRAME_TYPES[number]
const KNOWN = new Set<string>(FRAME_TYPES)

export interface Frame { type: FrameType, payload: Buffer }

export class ProtocolError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}

export function encode (type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload
  return Buffer.concat([header(type, body.length), body])
}

// The 5 bytes in front of a payload of `length` bytes.
export function header (type: FrameType, length: number): Buffer {
  if (length > MAX_PAYLOAD) throw new ProtocolError(`a ${type} frame of ${length} bytes exceeds ${MAX_PAYLOAD}`)
  const head = Buffer.allocUnsafe(5)
  head.write(type, 0, 'latin1')
  head.writeUInt32BE(length, 1)
  return head
}

export function encodeJson (type: FrameType, value: object): Buffer {
  return encode(type, JSON.stringify(value))
}

// The JSON object of a control frame; anything else is a protocol error.
export function json (frame: Frame): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(frame.payload.toString('utf8'))
  } catch {
    throw new ProtocolError(`the ${frame.type} frame is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError(`the ${frame.type} frame is not a JSON object`)
  return value as Record<string, unknown>
}

export interface FrameDecoderOptions {
  // Told the size of each copy the decoder makes (tests check that bytes are copied
  // about once, however small the chunks they came in).
  onCopy?: (bytes: number) => void
  // Hand on a data frame (0, 1, 2) in pieces, as its bytes arrive, instead of whole:
  // its payload is a stream's bytes, so pieces mean the same, and no frame that spans
  // two reads is ever copied to join it (bulk output's 64 KiB frames nearly all do).
  streamData?: boolean
  // Each chunk pushed is overwritten once push() returns (a read buffer used again,
  // borrowed-reads.ts): what the decoder keeps of it, and every frame that is not data,
  // is copied. Data frames stay views of the chunk, for the caller to use at once.
  borrowed?: boolean
}

const DATA = new Set<string>(['0', '1', '2'])

// Turns a byte stream into frames. Throws ProtocolError on an unknown type or a payload
// over the limit; keeps an incomplete frame until the rest arrives. Chunks wait in a
// list and each frame is joined once, when it is whole: a large frame in small chunks
// costs its size, not its size times the number of chunks.
export class FrameDecoder {
  private chunks: Buffer[] = []
  private total = 0
  private readonly onCopy: ((bytes: number) => void) | undefined
  private readonly streamData: boolean
  private readonly borrowed: boolean
  // The data frame being handed on in pieces, and how many of its bytes are to come.
  private streaming: { type: FrameType, left: number } | undefined

  constructor (options: FrameDecoderOptions = {}) {
    this.onCopy = options.onCopy
    this.streamData = options.streamData === true
    this.borrowed = options.borrowed === true
  }

  push (chunk: Buffer): Frame[] {
    if (chunk.length > 0) { this.chunks.push(chunk); this.total += chunk.length }
    const out: Frame[] = []
    for (;;) {
      if (this.streaming !== undefined) {
        if (this.total === 0) break
        // What the first chunk holds of it: a piece, never a copy.
        const n = Math.min(this.streaming.left, (this.chunks[0] as Buffer).length)
        out.push({ type: this.streaming.type, payload: this.take(n) })
        this.streaming.left -= n
        if (this.streaming.left === 0) this.streaming = undefined
        continue
      }
      if (this.total < 5) break
      const head = this.peek(5)
      const type = String.fromCharCode(head[0] as number)
      if (!KNOWN.has(type)) throw new ProtocolError(`unknown frame type 0x${(head[0] as number).toString(16)}`)
      const size = head.readUInt32BE(1)
      if (size > MAX_PAYLOAD) throw new ProtocolError(`a ${type} frame announces ${size} bytes, over ${MAX_PAYLOAD}`)
      if (this.streamData && size > 0 && DATA.has(type) && (this.chunks[0] as Buffer).length < 5 + size) {
        this.skip(5)
        this.streaming = { type: type as FrameType, left: size }
        continue
      }
      if (this.total < 5 + size) break
      const payload = this.take(5 + size).subarray(5)
      out.push({ type: type as FrameType, payload: this.borrowed && !DATA.has(type) ? Buffer.from(payload) : payload })
    }
    if (this.borrowed && this.total > 0) {
      // The start of a frame, kept for the next push: its own bytes, not the chunk's.
      this.chunks = this.chunks.map((c) => {
        if (c.buffer !== chunk.buffer) return c
        this.onCopy?.(c.length)
        return Buffer.from(c)
      })
    }
    return out
  }

  // Bytes of an unfinished frame: a stream that ends with some has been cut off.
  get buffered (): number {
    return this.total + (this.streaming?.left ?? 0)
  }

  // The first n buffered bytes (n <= total), without consuming them. Streaming, a
  // header across two chunks is copied alone, never with the chunks it spans.
  private peek (n: number): Buffer {
    const first = this.chunks[0] as Buffer
    if (first.length >= n) return first.subarray(0, n)
    if (this.streamData) {
      const bytes = Buffer.allocUnsafe(n)
      let at = 0
      for (let i = 0; at < n; i++) at += (this.chunks[i] as Buffer).copy(bytes, at, 0, n - at)
      this.onCopy?.(n)
      return bytes
    }
    this.join(n)
    return (this.chunks[0] as Buffer).subarray(0, n)
  }

  // Drops the first n buffered bytes (n <= total), across chunks, copying nothing.
  private skip (n: number): void {
    this.total -= n
    while (n > 0) {
      const first = this.chunks[0] as Buffer
      if (first.length > n) { this.chunks[0] = first.subarray(n); return }
      n -= first.length
      this.chunks.shift()
    }
  }

  // Removes and returns the first n buffered bytes (n <= total).
  private take (n: number): Buffer {
    if ((this.chunks[0] as Buffer).length < n) this.join(n)
    const first = this.chunks[0] as Buffer
    const bytes = first.subarray(0, n)
    if (first.length === n) this.chunks.shift()
    else this.chunks[0] = first.subarray(n)
    this.total -= n
    return bytes
  }

  // Makes the first chunk at least n bytes long, copying only the chunks it needs.
  private join (n: number): void {
    let count = 0
    let length = 0
    while (length < n) length += (this.chunks[count++] as Buffer).length
    const joined = Buffer.concat(this.chunks.slice(0, count), length)
    this.onCopy?.(length)
    this.chunks.splice(0, count, joined)
  }
}

export interface FrameChannel extends EventEmitter<{ frame: [Frame], end: [], error: [Error] }> {
  send (type: FrameType, payload?: Buffer | string): boolean
  // Data frames of at most DATA_CHUNK bytes each, out of one buffer without copying it
  // (one writev for all of them); false when the socket is full. `written` is called
  // once they have all reached the kernel, or failed to.
  sendData (type: '0' | '1' | '2', data: Buffer, written?: () => void): boolean
  sendJson (type: FrameType, value: object): boolean
  // Stop and restart delivering frames (and reading the socket): backpressure.
  pause (): void
  resume (): void
  readonly socket: Duplex
}

export interface FrameChannelOptions extends Pick<FrameDecoderOptions, 'streamData'> {
  // How the socket reads, when it is borrowReads' (borrowed-reads.ts): into a buffer
  // used again, so frames of one read are views of it until the next.
  reads?: BorrowedReads
}

// Frames over a socket, in both directions. A channel starts paused: frames wait until
// a consumer calls resume() (nextFrame does), and again whenever it pauses, so none is
// ever lost. 'end' comes once after the last frame, when the peer closed or the socket
// did; 'error' on a protocol error or a socket error (the socket is destroyed). A
// consumer must wait for 'end', not for the socket's 'close': a socket closes as soon
// as the peer has hung up, while frames may still wait here for a paused consumer.
export function frameChannel (socket: Duplex, options: FrameChannelOptions = {}): FrameChannel {
  const emitter = new EventEmitter<{ frame: [Frame], end: [], error: [Error] }>()
  const reads = options.reads
  if (reads !== undefined && reads.socket !== socket) throw new Error('reads must be the socket\'s own')
  const decoder = new FrameDecoder({ streamData: options.streamData === true, borrowed: reads !== undefined })
  const queue: Frame[] = []
  let paused = true
  if (reads === undefined) socket.pause(); else reads.pause()
  let ended = false // the socket has no more to give: 'end' follows the last frame
  let endSent = false
  let failed = false
  const fail = (err: Error): void => {
    if (failed) return
    failed = true
    socket.destroy()
    // Nobody listening (between phases of a login): the socket is gone either way, and
    // an unheard 'error' must not take the worker down.
    if (emitter.listenerCount('error') > 0) emitter.emit('error', err)
  }
  const drain = (): void => {
    while (!paused && !failed && queue.length > 0) emitter.emit('frame', queue.shift() as Frame)
    if (!paused && !failed && ended && !endSent && queue.length === 0) {
      endSent = true
      if (decoder.buffered > 0) fail(new ProtocolError(`the connection closed inside a frame (${decoder.buffered} bytes)`))
      else emitter.emit('end')
    }
  }
  const onChunk = (chunk: Buffer): void => {
    try {
      queue.push(...decoder.push(chunk))
    } catch (err) {
      fail(err as Error)
      return
    }
    drain()
  }
  if (reads === undefined) socket.on('data', onChunk)
  else {
    reads.onChunk = onChunk
    // Data frames waiting for a paused consumer are views of the last read.
    reads.queued = () => queue.length > 0
  }
  const over = (): void => { ended = true; drain() }
  socket.on('end', over)
  socket.on('close', over)
  socket.on('error', fail)
  const channel = Object.assign(emitter, {
    socket,
    send: (type: FrameType, payload?: Buffer | string) => !socket.destroyed && socket.write(encode(type, payload)),
    sendData: (type: '0' | '1' | '2', data: Buffer, written?: () => void) => {
      if (socket.destroyed) return false
      if (data.length === 0) { if (written !== undefined) process.nextTick(written); return true }
      socket.cork()
      let ok = true
      for (let at = 0; at < data.length; at += DATA_CHUNK) {
        const part = data.subarray(at, at + DATA_CHUNK)
        socket.write(header(type, part.length))
        ok = at + DATA_CHUNK >= data.length && written !== undefined ? socket.write(part, written) : socket.write(part)
      }
      socket.uncork()
      return ok
    },
    sendJson: (type: FrameType, value: object) => !socket.destroyed && socket.write(encodeJson(type, value)),
    pause: () => { paused = true; if (reads === undefined) socket.pause(); else reads.pause() },
    resume: () => { paused = false; drain(); if (!paused) { if (reads === undefined) socket.resume(); else reads.resume() } }
  })
  return channel
}

// The size in a W frame (or an R), when it is one a terminal can have.
export function windowSize (body: Record<string, unknown>): { cols: number, rows: number } | undefined {
  const { cols, rows } = body
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 10000
  return ok(cols) && ok(rows) ? { cols, rows } : undefined
}

export interface FrameWriterOptions {
  // Sees each chunk before it is sent, or dropped (a recording, the idle clock).
  onWrite?: (chunk: Buffer) => void
  // True once the peer reads no more of this stream: writes are then dropped.
  stopped?: () => boolean
  // What end() sends, if anything (E for stdin).
  onEnd?: () => void
}

// One data stream of a channel as a Writable: each write goes out as frames of at most
// DATA_CHUNK bytes and waits while the socket is full, so that the writer pauses (its
// pipe, its command) instead of filling memory. Once the socket is gone or stopped()
// says so, writes are dropped, and a write that was waiting is released.
export function frameWriter (channel: FrameChannel, type: '0' | '1' | '2', options: FrameWriterOptions = {}): Writable {
  const socket = channel.socket
  const state: WriterState = { socket, waiters: [], unwritten: 0 }
  const release = (): void => { for (const w of state.waiters.splice(0)) w() }
  const settle = (): void => { if (state.waiters.length > 0 && !holding(writer)) release() }
  const writer = new Writable({
    highWaterMark: DATA_CHUNK,
    write (chunk: Buffer, _encoding, callback) {
      options.onWrite?.(chunk)
      if (socket.destroyed || options.stopped?.() === true) { callback(); settle(); return }
      state.unwritten += chunk.length
      const sent = channel.sendData(type, chunk, () => { state.unwritten -= chunk.length; settle() })
      if (sent) { callback(); return }
      const done = (): void => { socket.off('drain', done); socket.off('close', done); callback() }
      socket.on('drain', done)
      socket.on('close', done)
    },
    final (callback) {
      options.onEnd?.()
      callback()
    }
  })
  socket.once('close', release)
  writers.set(writer, state)
  return writer
}

interface WriterState {
  socket: Duplex
  waiters: Array<() => void>
  // Bytes handed to the socket whose writes have not called back yet.
  unwritten: number
}
const writers = new WeakMap<Writable, WriterState>()

// Whether a writer may still refer to bytes written to it: a frameWriter until they
// are in its socket's kernel buffer (Node writes a Buffer out of its own memory, without
// a copy, however long the socket makes it wait), and any other writer always. The
// socket empty, or every write of this writer's called back, both mean they are.
export function holding (writer: Writable): boolean {
  const state = writers.get(writer)
  if (state === undefined) return true
  if (writer.writableLength > 0) return true
  return state.unwritten > 0 && !state.socket.destroyed && state.socket.writableLength > 0
}

// Whether whenWritten can tell about a writer: a frameWriter can.
export function tellsWhenWritten (writer: Writable): boolean {
  return writers.has(writer)
}

// Calls back once a frameWriter holds nothing written to it (holding() is false): at
// once, or when the write that empties its socket is done, or when the socket closes.
export function whenWritten (writer: Writable, callback: () => void): void {
  const state = writers.get(writer)
  if (state === undefined) throw new Error('whenWritten: not a frameWriter')
  if (!holding(writer) || state.socket.destroyed) callback()
  else state.waiters.push(callback)
}

// The next frame on a channel, within a deadline; the frame must be one of `types`.
export function nextFrame (channel: FrameChannel, types: readonly FrameType[], timeoutMs: number, what: string): Promise<Frame> {
  return new Promise<Frame>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      channel.off('frame', onFrame)
      channel.off('end', onEnd)
      channel.off('error', onError)
    }
    const onFrame = (f: Frame): void => {
      done()
      channel.pause()
      if (types.includes(f.type)) resolve(f)
      else reject(new ProtocolError(`expected ${types.join(' or ')} for ${what}, got ${f.type}`))
    }
    const onEnd = (): void => { done(); reject(new ProtocolError(`the connection closed before ${what}`)) }
    const onError = (err: Error): void => { done(); reject(err) }
    const timer = setTimeout(() => { done(); reject(new ProtocolError(`no ${what} within ${timeoutMs} ms`)) }, timeoutMs)
    channel.on('frame', onFrame)
    channel.once('end', onEnd)
    channel.once('error', onError)
    channel.resume()
  })
}
