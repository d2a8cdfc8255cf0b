// Reads of an accepted socket into a buffer of our own, read into again once nothing
// refers to the last read any more (Node's onread). Left to itself, Node gives every
// read a new 64 KiB buffer, and collecting those was a large part of a worker's CPU
// under bulk output (README, "bench:shell"). A read's bytes are handed on without a
// copy, so while something still holds them (a write that has not reached the kernel)
// the socket reads nothing: the kernel's socket buffer waits instead, and the agent's
// writes with it, which is the backpressure there was before. Frames that wait for a
// paused consumer hold the buffer too: the next read then gets a new one.
import { Socket, type SocketConstructorOpts } from 'node:net'

export interface BorrowedReads {
  // The socket to use from now on, paused: the accepted one no longer reads or writes.
  readonly socket: Socket
  // Set by the channel: each read, valid only while the call lasts unless held.
  onChunk: ((chunk: Buffer) => void) | undefined
  // Set by the channel: frames of the last read wait for a paused consumer.
  queued: (() => boolean) | undefined
  // Set by the consumer: calls back once it no longer refers to the last read (at
  // once when it never did). Until it is set, each read gets a new buffer.
  released: ((callback: () => void) => void) | undefined
  // The channel's own pause and resume (its consumer's backpressure): the socket reads
  // only while the channel is resumed and nothing holds the last read.
  pause (): void
  resume (): void
}

// A session's first reads are small (a prompt, a keystroke's echo): its buffer grows to
// the size of Node's own once a read fills it, and stays there.
export const FIRST_READ_SIZE = 4 * 1024
export const READ_SIZE = 64 * 1024

// Node offers onread only for a socket it wraps itself, never for one a server
// accepted: the accepted socket's handle is wrapped again, as net.Server wraps it, and
// the first Socket, which never read (pauseOnConnect), is left without it.
// onNewBuffer: told the size of each buffer made (tests).
export function borrowReads (accepted: Socket, onNewBuffer?: (size: number) => void): BorrowedReads {
  const inner = accepted as unknown as { _handle: object | null | undefined }
  const handle = inner._handle
  if (handle === null || handle === undefined || accepted.destroyed) throw new Error('the accepted socket is closed')
  inner._handle = null
  let size = FIRST_READ_SIZE
  let buffer: Buffer | undefined
  let replace = true // the next read needs a new buffer
  let channelPaused = true
  let held = false
  const reads: BorrowedReads = {
    onChunk: undefined,
    queued: undefined,
    released: undefined,
    pause () { channelPaused = true; socket.pause() },
    resume () { channelPaused = false; if (!held) socket.resume() },
    get socket () { return socket }
  }
  const socket = new Socket({
    handle,
    pauseOnCreate: true,
    readable: true,
    writable: true,
    onread: {
      // Called for the first read, and after each read for the next one.
      buffer: () => {
        if (replace || buffer === undefined) {
          onNewBuffer?.(size)
          buffer = Buffer.allocUnsafeSlow(size)
          replace = false
        }
        return buffer
      },
      // False pauses the socket until the consumer lets go of this read.
      callback: (n: number, b: Uint8Array) => {
        if (n === b.length && size < READ_SIZE) { size = READ_SIZE; replace = true }
        reads.onChunk?.(Buffer.from(b.buffer, b.byteOffset, n))
        if (socket.destroyed) return true
        if (reads.queued?.() !== false || reads.released === undefined) { replace = true; return true }
        let now = true
        let free = false
        reads.released(() => {
          if (now) { free = true; return }
          held = false
          if (!channelPaused && !socket.destroyed) socket.resume()
        })
        now = false
        if (free) return true
        held = true
        return false
      }
    }
  } as SocketConstructorOpts)
  return reads
}
