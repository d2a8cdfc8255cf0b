// Docker's multiplexed stream (8-byte frame headers, stream 1 = stdout, 2 = stderr)
// split back into the two, byte for byte, with backpressure: the session pauses the
// container's output while the user's side cannot keep up, so nothing piles up in memory.
import type { Readable, Writable } from 'node:stream'

export function demux (source: Readable, stdout: Writable, stderr: Writable, onData?: (n: number) => void): void {
  let pending: Buffer = Buffer.alloc(0)
  source.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    let blocked: Writable | undefined
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4)
      if (pending.length < 8 + size) break
      const target = pending[0] === 2 ? stderr : stdout
      const payload = pending.subarray(8, 8 + size)
      pending = pending.subarray(8 + size)
      onData?.(payload.length)
      if (!target.write(payload)) blocked = target
    }
    if (blocked !== undefined) {
      source.pause()
      blocked.once('drain', () => source.resume())
    }
  })
}
