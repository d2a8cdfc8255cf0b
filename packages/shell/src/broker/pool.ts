// The broker's session workers: a few forked ahead of logins with every module loaded,
// so a login never waits for Node to start, and one per session, so a crash ends one
// session and not everyone's. A connection goes to an idle worker, waits briefly for
// one being forked, or is refused when the broker is at shell.broker.maxSessions.
import type { Socket } from 'node:net'

// A worker as the pool sees it (broker/serve.ts forks the real ones).
// A proven login as the broker hands it on: the kernel-proven uid, and how much of the
// handshake's deadline is left for the worker to read the request.
export interface Ticket { uid: number, requestTimeoutMs: number }

export interface WorkerHandle {
  // Gives the connection to the worker, which serves one login and exits.
  take (socket: Socket, ticket: Ticket): void
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
  // `done` is called once, when the worker that served the login is gone or when the
  // login was refused.
  dispatch (socket: Socket, ticket: Ticket, done?: () => void): void
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
  interface Waiting { socket: Socket, ticket: Ticket, done: () => void, timer: NodeJS.Timeout }
  const queue: Waiting[] = []
  // What to call when a busy worker is gone.
  const onGone = new Map<WorkerHandle, () => void>()

  const hand = (w: WorkerHandle, socket: Socket, ticket: Ticket, done: () => void): void => {
    state.set(w, 'busy')
    serving.add(w)
    onGone.set(w, done)
    w.take(socket, ticket)
  }
  const refuse = (socket: Socket, why: 'busy' | 'no-worker', done: () => void): void => {
    done()
    o.refuse(socket, why)
  }
  const flush = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const q = queue.shift() as Waiting
      clearTimeout(q.timer)
      hand(idle.shift() as WorkerHandle, q.socket, q.ticket, q.done)
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
        if (was === 'busy') { serving.delete(w); onGone.get(w)?.(); onGone.delete(w) }
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
    dispatch (socket, ticket, done = () => {}) {
      if (closed) { refuse(socket, 'no-worker', done); return }
      const w = idle.shift()
      if (w !== undefined) {
        hand(w, socket, ticket, done)
        replenish()
        return
      }
      if (serving.size >= o.maxSessions) { refuse(socket, 'busy', done); return }
      const timer = setTimeout(() => {
        const at = queue.findIndex((q) => q.socket === socket)
        if (at >= 0) queue.splice(at, 1)
        refuse(socket, 'no-worker', done)
      }, o.queueTimeoutMs)
      queue.push({ socket, ticket, done, timer })
      replenish()
    },
    close () {
      closed = true
      clearTimeout(backoff)
      for (const w of idle.splice(0)) w.retire()
      for (const w of serving) w.detach()
      for (const q of queue.splice(0)) { clearTimeout(q.timer); refuse(q.socket, 'no-worker', q.done) }
    },
    stats: () => ({ idle: idle.length, starting, busy: serving.size, queued: queue.length })
  }
}
