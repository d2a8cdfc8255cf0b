// Bounds on the IMDS listener's connections, so that one container cannot starve the
// others: a cap per source address and an overall cap, both enforced the moment a
// connection is accepted, before a byte of it is parsed, and deadlines for a
// connection that sends nothing, sends its headers slowly, or sits idle between requests.
// The last `reserve` connections of the overall cap are kept for sources that hold none
// yet, so a container that starts during a flood still gets in.
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionLimits {
  perSource: number
  total: number
  // A new connection's first byte must come within this, and its headers within this.
  headersTimeoutMs: number
  // The whole request must be received within this.
  requestTimeoutMs: number
  // An idle keep-alive connection is closed after this.
  idleTimeoutMs: number
}

export interface ConnectionEvents {
  refused (reason: 'per-source' | 'total', source: string): void
}

// At least this many (and an eighth of the total) are left for sources holding none.
const MIN_RESERVE = 16

export function reserveOf (total: number): number {
  return Math.min(total - 1, Math.max(MIN_RESERVE, Math.floor(total / 8)))
}

export interface LimitedServer {
  // Connections open right now, for metrics.
  open (): number
  // Called for every request: the first on a connection ends its silence deadline.
  request (socket: Socket): void
}

// Applies the limits to `server`.
export function limitConnections (server: Server, limits: ConnectionLimits, events: ConnectionEvents): LimitedServer {
  const bySource = new Map<string, number>()
  const silent = new Set<Socket>()
  const reserve = reserveOf(limits.total)
  let open = 0
  server.headersTimeout = limits.headersTimeoutMs
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs)
  server.keepAliveTimeout = limits.idleTimeoutMs
  // Before the HTTP layer's own listener: a refused socket is never parsed.
  server.prependListener('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? ''
    const held = bySource.get(source) ?? 0
    const reason = held >= limits.perSource
      ? 'per-source'
      : open >= limits.total || (held > 0 && open >= limits.total - reserve) ? 'total' : undefined
    if (reason !== undefined) {
      socket.destroy()
      events.refused(reason, source)
      return
    }
    open++
    bySource.set(source, held + 1)
    // Node's header deadline starts with the first byte; a connection that sends
    // nothing at all is closed by this inactivity deadline, lifted at its first request
    // (which may rightly wait on STS for longer).
    silent.add(socket)
    socket.setTimeout(limits.headersTimeoutMs)
    socket.once('timeout', () => { if (silent.has(socket)) socket.destroy() })
    socket.once('close', () => {
      silent.delete(socket)
      open--
      const left = (bySource.get(source) ?? 1) - 1
      if (left === 0) bySource.delete(source)
      else bySource.set(source, left)
    })
  })
  return {
    open: () => open,
    request (socket) {
      if (silent.delete(socket)) socket.setTimeout(0)
    }
  }
}
