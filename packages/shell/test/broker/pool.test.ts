// The worker pool: spare workers ready ahead of logins, one worker per login, a short
// wait when none is idle, refusal at the session limit, and no tight fork loop when
// workers die before they are ready.
import t from 'tap'
import type { Socket } from 'node:net'
import { createPool, type PoolOptions, type Ticket, type WorkerEvents } from '../../src/broker/pool.ts'

interface FakeWorker { id: number, events: WorkerEvents, took: Socket[], tickets: Ticket[], retired: boolean, detached?: boolean }

function harness (over: Partial<PoolOptions> = {}) {
  const workers: FakeWorker[] = []
  const refused: Array<{ socket: Socket, why: string }> = []
  const failures: number[] = []
  const pool = createPool({
    spare: 2,
    maxSessions: 3,
    queueTimeoutMs: 200,
    fork: (events) => {
      const w: FakeWorker = { id: workers.length, events, took: [], tickets: [], retired: false }
      workers.push(w)
      return { take: (s, ticket) => { w.took.push(s); w.tickets.push(ticket) }, retire: () => { w.retired = true }, detach: () => { w.detached = true } }
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

t.test('it forks the spare workers at once', async (t) => {
  const { pool, workers } = harness()
  t.equal(workers.length, 2)
  t.same(pool.stats(), { idle: 0, starting: 2, busy: 0, queued: 0 })
  workers.forEach((w) => w.events.ready())
  t.same(pool.stats(), { idle: 2, starting: 0, busy: 0, queued: 0 })
  pool.close()
})

t.test('a login goes to an idle worker, and a new spare is forked in its place', async (t) => {
  const { pool, workers } = harness()
  workers.forEach((w) => w.events.ready())
  const a = sock('a')
  pool.dispatch(a, TICKET)
  t.same(workers[0]?.took, [a])
  t.equal(workers.length, 3, 'a replacement')
  t.same(pool.stats(), { idle: 1, starting: 1, busy: 1, queued: 0 })
  pool.close()
})

t.test('with no idle worker a login waits for the next one that is ready', async (t) => {
  const { pool, workers } = harness({ spare: 0 })
  t.equal(workers.length, 0)
  const a = sock('a')
  pool.dispatch(a, TICKET)
  t.equal(workers.length, 1, 'one forked for the waiting login')
  t.same(pool.stats().queued, 1)
  workers[0]?.events.ready()
  t.same(workers[0]?.took, [a])
  t.same(pool.stats(), { idle: 0, starting: 0, busy: 1, queued: 0 })
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

t.test('at maxSessions busy workers, a login is refused as busy; a session ending makes room', async (t) => {
  const { pool, workers, refused } = harness({ spare: 1, maxSessions: 2 })
  for (const name of ['a', 'b']) {
    workers.filter((w) => w.took.length === 0 && !w.retired).forEach((w) => w.events.ready())
    pool.dispatch(sock(name), TICKET)
  }
  t.equal(pool.stats().busy, 2)
  const c = sock('c')
  pool.dispatch(c, TICKET)
  t.same(refused.map((r) => [r.socket, r.why]), [[c, 'busy']])
  workers[0]?.events.exit()
  t.equal(pool.stats().busy, 1)
  workers.filter((w) => w.took.length === 0).forEach((w) => w.events.ready())
  const d = sock('d')
  pool.dispatch(d, TICKET)
  t.equal(refused.length, 1, 'd is served')
  t.ok(workers.some((w) => w.took.includes(d)))
  pool.close()
})

t.test('a worker that dies idle is replaced', async (t) => {
  const { pool, workers } = harness()
  workers.forEach((w) => w.events.ready())
  workers[1]?.events.exit()
  t.same(pool.stats(), { idle: 1, starting: 1, busy: 0, queued: 0 })
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

t.test('close retires idle workers, refuses waiting logins and leaves busy ones alone', async (t) => {
  const { pool, workers, refused } = harness({ spare: 1, maxSessions: 5 })
  workers[0]?.events.ready()
  pool.dispatch(sock('a'), TICKET)
  workers[1]?.events.ready()
  const idle = workers[1]
  const b = sock('b')
  pool.dispatch(b, TICKET)
  const c = sock('c')
  pool.dispatch(c, TICKET)
  t.equal(pool.stats().queued, 1)
  pool.close()
  t.same(refused.map((r) => r.socket), [c])
  t.notOk(workers[0]?.retired, 'the busy one serves on')
  t.ok(workers[0]?.detached, 'on its own: the broker lets go of it')
  t.notOk(idle?.retired, 'b took it')
  const late = workers[workers.length - 1]
  late?.events.ready()
  t.ok(late?.retired, 'a worker ready after close is retired')
  const d = sock('d')
  pool.dispatch(d, TICKET)
  t.same(refused.map((r) => r.socket), [c, d], 'nothing is served after close')
})

t.test('exit events are counted once', async (t) => {
  const { pool, workers } = harness({ spare: 1, maxSessions: 5 })
  workers[0]?.events.ready()
  pool.dispatch(sock('a'), TICKET)
  workers[0]?.events.exit()
  workers[0]?.events.exit()
  t.equal(pool.stats().busy, 0)
  pool.close()
})

t.test('a login\'s ticket reaches its worker, and done is called once: when that worker is gone, or when the login is refused', async (t) => {
  const { pool, workers } = harness({ spare: 1, maxSessions: 1 })
  workers[0]?.events.ready()
  const done: string[] = []
  pool.dispatch(sock('a'), { uid: 1234, requestTimeoutMs: 700 }, () => done.push('a'))
  t.same(workers[0]?.tickets, [{ uid: 1234, requestTimeoutMs: 700 }])
  pool.dispatch(sock('b'), TICKET, () => done.push('b'))
  t.same(done, ['b'], 'refused as busy: done at once')
  workers[0]?.events.exit()
  workers[0]?.events.exit()
  t.same(done, ['b', 'a'], 'the worker exited: done, once')
  workers[1]?.events.ready()
  pool.dispatch(sock('c'), TICKET)
  pool.close()
  t.pass('done may be left out')
})
