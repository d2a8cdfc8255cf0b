// The broker's session workers: a few forked ahead of logins with every module loaded,
// so a login never waits for Node to start, and one per session, so a crash ends one
// session and not everyone's. A connection goes to an idle worker, waits briefly for
// one being forked, or is refused when the broker is at shell.broker.maxSessions.
import type { Socket } from 'node:net'

// A worker as the pool sees it (broker/serve.ts forks the real ones).
export interface WorkerHandle {
  // Gives the connection to the worker, which serves one login and exits.
  take (socket: Socket): void
  // Asks an idle worker to exit.
  retire (): void
  // The broker is going away: a busy worker goes on alone (its session is its own), and
  // holds the broker's process no longer.
  detach (): void
}

export interface WorkerEvents {
  ready (): void
  exit (): void
}

export interface PoolOptions {
  spare: number
  maxSessions: number
  // How long a connection may wait for a worker before it is refused.
  queueTimeoutMs: number
  fork (events: WorkerEvents): WorkerHandle
  refuse (socket: Socket, why: 'busy' | 'no-worker'): void
  // Called when forking fails repeatedly (workers die before they are ready).
  onForkFailure?: (consecutive: number) => void
}

export interface Pool {
  dispatch (socket: Socket): void
  // Stops forking, retires idle workers and refuses queued connections. Busy workers
  // go on serving their sessions.
  close (): void
  stats (): { idle: number, starting: number, busy: number, queued: number }
}

export function createPool (o: PoolOptions): Pool {
  // Each worker's state; idle ones also in order of readiness, busy ones in a set.
  const state = new Map<WorkerHandle, 'starting' | 'idle' | 'busy'>()
  const idle: WorkerHandle[] = []
  const serving = new Set<WorkerHandle>()
  let starting = 0
  let closed = false
  let failures = 0
  let backoff: NodeJS.Timeout | undefined
  const queue: Array<{ socket: Socket, timer: NodeJS.Timeout }> = []

  const hand = (w: WorkerHandle, socket: Socket): void => {
    state.set(w, 'busy')
    serving.add(w)
    w.take(socket)
  }
  const flush = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const q = queue.shift() as { socket: Socket, timer: NodeJS.Timeout }
      clearTimeout(q.timer)
      hand(idle.shift() as WorkerHandle, q.socket)
    }
  }
  const spawn = (): void => {
    starting++
    const w: WorkerHandle = o.fork({
      ready () {
        if (state.get(w) !== 'starting') return
        starting--
        failures = 0
        if (closed) { state.delete(w); w.retire(); return }
        state.set(w, 'idle')
        idle.push(w)
        flush()
      },
      exit () {
        const was = state.get(w)
        if (was === undefined) return
        state.delete(w)
        if (was === 'starting') { starting--; failures++; o.onForkFailure?.(failures) }
        if (was === 'idle') idle.splice(idle.indexOf(w), 1)
        if (was === 'busy') serving.delete(w)
        replenish()
      }
    })
    state.set(w, 'starting')
  }
  // Keeps `spare` idle workers, plus one starting for each queued connection, within
  // the limit. After workers died before they were ready, waits longer each time, so
  // that a broken install does not fork in a tight loop.
  const replenish = (): void => {
    if (closed || backoff !== undefined) return
    if (failures > 0) {
      backoff = setTimeout(() => { backoff = undefined; forkWanted() }, Math.min(5000, 100 * 2 ** Math.min(failures - 1, 6)))
      return
    }
    forkWanted()
  }
  const forkWanted = (): void => {
    while (!closed && idle.length + starting < o.spare + queue.length && serving.size + idle.length + starting < o.maxSessions + o.spare) spawn()
  }
  replenish()

  return {
    dispatch (socket) {
      if (closed) { o.refuse(socket, 'no-worker'); return }
      const w = idle.shift()
      if (w !== undefined) {
        hand(w, socket)
        replenish()
        return
      }
      if (serving.size >= o.maxSessions) { o.refuse(socket, 'busy'); return }
      const timer = setTimeout(() => {
        const at = queue.findIndex((q) => q.socket === socket)
        if (at >= 0) queue.splice(at, 1)
        o.refuse(socket, 'no-worker')
      }, o.queueTimeoutMs)
      queue.push({ socket, timer })
      replenish()
    },
    close () {
      closed = true
      clearTimeout(backoff)
      for (const w of idle.splice(0)) w.retire()
      for (const w of serving) w.detach()
      for (const q of queue.splice(0)) { clearTimeout(q.timer); o.refuse(q.socket, 'no-worker') }
    },
    stats: () => ({ idle: idle.length, starting, busy: serving.size, queued: queue.length })
  }
}
