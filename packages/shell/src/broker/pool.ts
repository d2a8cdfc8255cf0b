// The broker's session workers: forked ahead of logins with every module loaded, so a
// login never waits for Node to start, and each serving up to sessionsPerWorker
// sessions at once, so that a live session costs a few MB of the host rather than a
// Node process of its own. A crash ends the sessions of one worker, never more.
//
// A login goes to the fullest worker that has room (so that workers fill up and empty
// ones can go), waits briefly for one being forked, or is refused when the broker is at
// shell.broker.maxSessions. `spare` empty workers are kept ready; a worker that empties
// while more than that are ready is retired.
import type { Socket } from 'node:net'

// A proven login as the broker hands it on: the kernel-proven uid, and how much of the
// handshake's deadline is left for the worker to read the request.
export interface Ticket { uid: number, requestTimeoutMs: number }

// A worker as the pool sees it (broker/serve.ts forks the real ones).
export interface WorkerHandle {
  // Gives the connection to the worker, which serves that login beside its others and
  // reports its end as `ended(session)`.
  take (socket: Socket, ticket: Ticket, session: number): void
  // Asks the worker to take no more logins and to exit once it serves none.
  retire (): void
  // The broker is going away: a busy worker goes on alone (its sessions are its own),
  // and holds the broker's process no longer.
  detach (): void
}

export interface WorkerEvents {
  ready (): void
  // A session this worker took has ended.
  ended (session: number): void
  exit (): void
}

export interface PoolOptions {
  spare: number
  sessionsPerWorker: number
  maxSessions: number
  // How long a connection may wait for a worker before it is refused.
  queueTimeoutMs: number
  fork (events: WorkerEvents): WorkerHandle
  refuse (socket: Socket, why: 'busy' | 'no-worker'): void
  // Called when forking fails repeatedly (workers die before they are ready).
  onForkFailure?: (consecutive: number) => void
}

export interface PoolStats {
  // Ready workers serving nothing, workers being forked, and the workers with sessions.
  idle: number
  starting: number
  workers: number
  // Live sessions, and logins waiting for a worker.
  busy: number
  queued: number
}

export interface Pool {
  // `done` is called once, when the session has ended (or its worker is gone), or when
  // the login was refused.
  dispatch (socket: Socket, ticket: Ticket, done?: () => void): void
  // Stops forking, retires idle workers and refuses queued connections. Busy workers
  // go on serving their sessions.
  close (): void
  stats (): PoolStats
}

interface Worker {
  handle: WorkerHandle
  phase: 'starting' | 'ready' | 'retiring'
  // Its live sessions, each with what to call when it ends.
  sessions: Map<number, () => void>
}

export function createPool (o: PoolOptions): Pool {
  const workers = new Set<Worker>()
  let nextSession = 1
  let sessions = 0
  let closed = false
  let failures = 0
  let backoff: NodeJS.Timeout | undefined
  interface Waiting { socket: Socket, ticket: Ticket, done: () => void, timer: NodeJS.Timeout }
  const queue: Waiting[] = []

  const count = (phase: Worker['phase'], empty?: boolean): number => {
    let n = 0
    for (const w of workers) if (w.phase === phase && (empty === undefined || (w.sessions.size === 0) === empty)) n++
    return n
  }
  // The fullest ready worker with room.
  const roomy = (): Worker | undefined => {
    let best: Worker | undefined
    for (const w of workers) {
      if (w.phase !== 'ready' || w.sessions.size >= o.sessionsPerWorker) continue
      if (best === undefined || w.sessions.size > best.sessions.size) best = w
    }
    return best
  }
  const hand = (w: Worker, socket: Socket, ticket: Ticket, done: () => void): void => {
    const id = nextSession++
    w.sessions.set(id, done)
    sessions++
    w.handle.take(socket, ticket, id)
  }
  const refuse = (socket: Socket, why: 'busy' | 'no-worker', done: () => void): void => {
    done()
    o.refuse(socket, why)
  }
  const flush = (): void => {
    for (let w = roomy(); w !== undefined && queue.length > 0; w = roomy()) {
      const q = queue.shift() as Waiting
      clearTimeout(q.timer)
      hand(w, q.socket, q.ticket, q.done)
    }
  }
  const retire = (w: Worker): void => {
    w.phase = 'retiring'
    w.handle.retire()
  }
  const end = (w: Worker, id: number): void => {
    const done = w.sessions.get(id)
    if (done === undefined) return
    w.sessions.delete(id)
    sessions--
    done()
  }
  const spawn = (): void => {
    const w: Worker = { handle: undefined as unknown as WorkerHandle, phase: 'starting', sessions: new Map() }
    workers.add(w)
    w.handle = o.fork({
      ready () {
        if (w.phase !== 'starting' || !workers.has(w)) return
        failures = 0
        if (closed) { retire(w); return }
        w.phase = 'ready'
        flush()
        trim()
      },
      ended (id) {
        end(w, id)
        if (w.sessions.size === 0 && w.phase === 'retiring') return
        flush()
        trim()
        replenish()
      },
      exit () {
        if (!workers.delete(w)) return
        if (w.phase === 'starting') { failures++; o.onForkFailure?.(failures) }
        for (const id of [...w.sessions.keys()]) end(w, id)
        replenish()
      }
    })
  }
  // Empty workers beyond `spare` go: the memory of a burst is given back.
  const trim = (): void => {
    let extra = count('ready', true) - o.spare
    for (const w of workers) {
      if (extra <= 0) break
      if (w.phase === 'ready' && w.sessions.size === 0) { retire(w); extra-- }
    }
  }
  // Keeps `spare` empty workers ready or starting, plus enough starting for the queued
  // logins, within what maxSessions can use. After workers died before they were
  // ready, waits longer each time, so that a broken install does not fork in a tight loop.
  const replenish = (): void => {
    if (closed || backoff !== undefined) return
    if (failures > 0) {
      backoff = setTimeout(() => { backoff = undefined; forkWanted() }, Math.min(5000, 100 * 2 ** Math.min(failures - 1, 6)))
      return
    }
    forkWanted()
  }
  const forkWanted = (): void => {
    const most = Math.ceil(o.maxSessions / o.sessionsPerWorker) + o.spare
    const waitingFor = (): number => Math.ceil(queue.length / o.sessionsPerWorker)
    while (!closed && count('ready', true) + count('starting') < o.spare + waitingFor() && count('ready') + count('starting') < most) spawn()
  }
  replenish()

  return {
    dispatch (socket, ticket, done = () => {}) {
      if (closed) { refuse(socket, 'no-worker', done); return }
      if (sessions + queue.length >= o.maxSessions) { refuse(socket, 'busy', done); return }
      const w = roomy()
      if (w !== undefined) {
        hand(w, socket, ticket, done)
        replenish()
        return
      }
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
      for (const w of workers) {
        if (w.sessions.size === 0) retire(w)
        else { w.phase = 'retiring'; w.handle.detach() }
      }
      for (const q of queue.splice(0)) { clearTimeout(q.timer); refuse(q.socket, 'no-worker', q.done) }
    },
    stats: () => ({ idle: count('ready', true), starting: count('starting'), workers: count('ready', false) + count('retiring', false), busy: sessions, queued: queue.length })
  }
}
