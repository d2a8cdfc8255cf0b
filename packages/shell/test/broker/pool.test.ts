// The worker pool: spare workers ready ahead of logins, several sessions per worker
// (the fullest with room first), a short wait when none has room, refusal at the
// session limit, empty workers beyond the spares retired, and no tight fork loop when
// workers die before they are ready.
import t from 'tap'
import type { Socket } from 'node:net'
import { createPool, type PoolOptions, type Ticket, type WorkerEvents } from '../../src/broker/pool.ts'

interface FakeWorker { id: number, events: WorkerEvents, took: Socket[], sessions: number[], tickets: Ticket[], retired: boolean, detached?: boolean }

function harness (over: Partial<PoolOptions> = {}) {
  const workers: FakeWorker[] = []
  const refused: Array<{ socket: Socket, why: string }> = []
  const failures: number[] = []
  const pool = createPool({
    spare: 2,
    sessionsPerWorker: 2,
    maxSessions: 3,
    queueTimeoutMs: 200,
    fork: (events) => {
      const w: FakeWorker = { id: workers.length, events, took: [], sessions: [], tickets: [], retired: false }
      workers.push(w)
      return { take: (s, ticket, session) => { w.took.push(s); w.tickets.push(ticket); w.sessions.push(session) }, retire: () => { w.retired = true }, detach: () => { w.detached = true } }
    },
    refuse: (socket, why) => refused.push({ socket, why }),
    onForkFailure: (n) => failures.push(n),
    ...over
  })
  return { pool, workers, refused, failures }
}

const sock = (name: string): Socket => ({ name } as unknown as Socket)
const TICKET = { uid: 1000, requestTimeoutMs: 1000 }
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms))
const readyAll = (workers: FakeWorker[]): void => { for (const w of workers) w.events.ready() }

t.test('it forks the spare workers at once', async (t) => {
  const { pool, workers } = harness()
  t.equal(workers.length, 2)
  t.same(pool.stats(), { idle: 0, starting: 2, workers: 0, busy: 0, queued: 0 })
  readyAll(workers)
  t.same(pool.stats(), { idle: 2, starting: 0, workers: 0, busy: 0, queued: 0 })
  pool.close()
})

t.test('logins fill one worker before the next, and a new spare is forked as one stops being empty', async (t) => {
  const { pool, workers } = harness({ maxSessions: 10 })
  readyAll(workers)
  const [a, b, c] = [sock('a'), sock('b'), sock('c')]
  pool.dispatch(a, TICKET)
  t.same(workers[0]?.took, [a])
  t.equal(workers.length, 3, 'a spare forked: only one empty worker was left')
  t.same(pool.stats(), { idle: 1, starting: 1, workers: 1, busy: 1, queued: 0 })
  pool.dispatch(b, TICKET)
  t.same(workers[0]?.took, [a, b], 'the fullest worker with room takes it')
  t.equal(workers.length, 3, 'no fork: the spares are still empty')
  pool.dispatch(c, TICKET)
  t.same(workers[1]?.took, [c], 'a full worker takes no more')
  t.equal(new Set([...workers[0]?.sessions ?? [], ...workers[1]?.sessions ?? []]).size, 3, 'each session has its own id')
  pool.close()
})

t.test('with no worker that has room a login waits for the next one that is ready', async (t) => {
  const { pool, workers } = harness({ spare: 0 })
  t.equal(workers.length, 0)
  const a = sock('a')
  pool.dispatch(a, TICKET)
  t.equal(workers.length, 1, 'one forked for the waiting login')
  t.same(pool.stats().queued, 1)
  workers[0]?.events.ready()
  t.same(workers[0]?.took, [a])
  t.same(pool.stats(), { idle: 0, starting: 0, workers: 1, busy: 1, queued: 0 })
  pool.close()
})

t.test('queued logins want one worker per sessionsPerWorker of them', async (t) => {
  const { pool, workers } = harness({ spare: 0, sessionsPerWorker: 2, maxSessions: 10 })
  for (const n of ['a', 'b', 'c']) pool.dispatch(sock(n), TICKET)
  t.equal(workers.length, 2, 'three waiting logins, two sessions a worker: two forks')
  workers[0]?.events.ready()
  t.equal(workers[0]?.took.length, 2)
  t.equal(pool.stats().queued, 1)
  workers[1]?.events.ready()
  t.equal(pool.stats().queued, 0)
  pool.close()
})

t.test('a login that waits longer than the queue timeout is refused', async (t) => {
  const { pool, refused } = harness({ spare: 0, queueTimeoutMs: 30 })
  const a = sock('a')
  pool.dispatch(a, TICKET)
  await tick(60)
  t.same(refused, [{ socket: a, why: 'no-worker' }])
  t.equal(pool.stats().queued, 0)
  pool.close()
})

t.test('at maxSessions a login is refused as busy; a session ending makes room', async (t) => {
  const { pool, workers, refused } = harness({ spare: 1, sessionsPerWorker: 2, maxSessions: 2 })
  readyAll(workers)
  pool.dispatch(sock('a'), TICKET)
  pool.dispatch(sock('b'), TICKET)
  t.equal(pool.stats().busy, 2)
  const c = sock('c')
  pool.dispatch(c, TICKET)
  t.same(refused.map((r) => [r.socket, r.why]), [[c, 'busy']])
  workers[0]?.events.ended(workers[0].sessions[0] as number)
  t.equal(pool.stats().busy, 1)
  const d = sock('d')
  pool.dispatch(d, TICKET)
  t.equal(refused.length, 1, 'd is served')
  t.same(workers[0]?.took.at(-1), d, 'by the worker that had room again')
  pool.close()
})

t.test('a worker that empties is kept as a spare, or retired when there are enough', async (t) => {
  const { pool, workers } = harness({ spare: 1, sessionsPerWorker: 1, maxSessions: 10 })
  readyAll(workers)
  pool.dispatch(sock('a'), TICKET)
  readyAll(workers.slice(1))
  pool.dispatch(sock('b'), TICKET)
  readyAll(workers.slice(2))
  t.equal(workers.length, 3)
  workers[0]?.events.ended(workers[0].sessions[0] as number)
  t.ok(workers[0]?.retired, 'two empty workers, one spare wanted: the emptied one goes')
  t.notOk(workers[2]?.retired)
  workers[1]?.events.ended(workers[1].sessions[0] as number)
  t.ok(workers[1]?.retired)
  t.same(pool.stats(), { idle: 1, starting: 0, workers: 0, busy: 0, queued: 0 })
  workers[0]?.events.exit()
  t.equal(workers.length, 3, 'a retired worker that exits is not replaced')
  pool.close()
})

t.test('a worker that dies takes only its own sessions: each of them is done, and it is replaced', async (t) => {
  const { pool, workers } = harness({ spare: 1, sessionsPerWorker: 2, maxSessions: 10 })
  readyAll(workers)
  const done: string[] = []
  for (const n of ['a', 'b', 'c']) {
    pool.dispatch(sock(n), TICKET, () => done.push(n))
    readyAll(workers.filter((w) => w.took.length === 0))
  }
  t.same(workers.map((w) => w.took.length), [2, 1, 0])
  workers[0]?.events.exit()
  t.same(done, ['a', 'b'], 'the two sessions of the dead worker, and no other')
  t.equal(pool.stats().busy, 1)
  workers[0]?.events.exit()
  t.same(done, ['a', 'b'], 'exit events are counted once')
  workers[1]?.events.ended(workers[1].sessions[0] as number)
  workers[1]?.events.ended(workers[1].sessions[0] as number)
  t.same(done, ['a', 'b', 'c'], 'an end is counted once')
  pool.close()
})

t.test('a worker that dies idle is replaced', async (t) => {
  const { pool, workers } = harness()
  readyAll(workers)
  workers[1]?.events.exit()
  t.same(pool.stats(), { idle: 1, starting: 1, workers: 0, busy: 0, queued: 0 })
  pool.close()
})

t.test('workers that die before they are ready are forked again after a growing pause', async (t) => {
  const { pool, workers, failures } = harness({ spare: 1 })
  workers[0]?.events.exit()
  t.same(failures, [1])
  t.equal(workers.length, 1, 'no fork at once')
  await tick(150)
  t.equal(workers.length, 2, 'forked again after the pause')
  workers[1]?.events.exit()
  t.same(failures, [1, 2])
  await tick(150)
  t.equal(workers.length, 2, 'the second pause is longer')
  await tick(150)
  t.equal(workers.length, 3)
  workers[2]?.events.ready()
  workers[2]?.events.exit()
  t.same(failures, [1, 2], 'a worker that was ready resets the count')
  pool.close()
})

t.test('close retires idle workers, refuses waiting logins and lets busy ones go on alone', async (t) => {
  const { pool, workers, refused } = harness({ spare: 1, sessionsPerWorker: 1, maxSessions: 5 })
  workers[0]?.events.ready()
  pool.dispatch(sock('a'), TICKET)
  const b = sock('b')
  pool.dispatch(b, TICKET)
  t.equal(pool.stats().queued, 1)
  pool.close()
  t.same(refused.map((r) => r.socket), [b])
  t.notOk(workers[0]?.retired, 'the busy one serves on')
  t.ok(workers[0]?.detached, 'on its own: the broker lets go of it')
  const late = workers[workers.length - 1]
  late?.events.ready()
  t.ok(late?.retired, 'a worker ready after close is retired')
  const c = sock('c')
  pool.dispatch(c, TICKET)
  t.same(refused.map((r) => r.socket), [b, c], 'nothing is served after close')
  t.equal(workers.length, 3, 'and nothing forked after close (the third was forked for b)')
})

t.test('a login\'s ticket reaches its worker, and done is called once: when its session ends, or when the login is refused', async (t) => {
  const { pool, workers } = harness({ spare: 1, sessionsPerWorker: 4, maxSessions: 1 })
  workers[0]?.events.ready()
  const done: string[] = []
  pool.dispatch(sock('a'), { uid: 1234, requestTimeoutMs: 700 }, () => done.push('a'))
  t.same(workers[0]?.tickets, [{ uid: 1234, requestTimeoutMs: 700 }])
  pool.dispatch(sock('b'), TICKET, () => done.push('b'))
  t.same(done, ['b'], 'refused as busy: done at once')
  workers[0]?.events.ended(workers[0].sessions[0] as number)
  t.same(done, ['b', 'a'], 'the session ended: done')
  pool.dispatch(sock('c'), TICKET)
  pool.close()
  t.pass('done may be left out')
})

t.test('the pool forks no more workers than maxSessions can use', async (t) => {
  const { pool, workers, refused } = harness({ spare: 1, sessionsPerWorker: 2, maxSessions: 4 })
  for (let i = 0; i < 8; i++) pool.dispatch(sock(`s${i}`), TICKET)
  t.equal(refused.length, 4, 'past maxSessions, counting the waiting ones')
  t.ok(workers.length <= 3, `at most ceil(4 / 2) + 1 workers (${workers.length})`)
  pool.close()
})
