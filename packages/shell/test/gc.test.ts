// Garbage collection of personal containers: a container goes when it has no live
// session and none for shell.gcIdleSeconds; one in use or used recently stays.
import t, { type Test } from 'tap'
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gc, touchActivity } from '../src/gc.ts'
import { testConfig } from './fixtures/config.ts'
import { fakeDocker, type FakeContainer } from './fixtures/docker.ts'
import { captureLog, silentLogger } from './fixtures/log.ts'

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0)
const IDLE = 3600 // shell.gcIdleSeconds in these tests
const LONG_AGO = new Date(NOW - 10 * 86400_000).toISOString()

function setup (t: Test) {
  const stateDir = t.testdir()
  const config = testConfig({ shell: { stateDir, gcIdleSeconds: IDLE } })
  // Marks `name` as last used `secondsAgo` before NOW.
  const usedAgo = (name: string, secondsAgo: number): void => {
    mkdirSync(join(stateDir, 'activity'), { recursive: true })
    const file = join(stateDir, 'activity', name)
    writeFileSync(file, '')
    const at = new Date(NOW - secondsAgo * 1000)
    utimesSync(file, at, at)
  }
  return { stateDir, config, usedAgo }
}

const container = (id: string, over: Partial<FakeContainer> = {}): FakeContainer =>
  ({ id, name: `/shell-${id}`, startedAt: LONG_AGO, execIds: [], ...over })

t.test('only containers labelled as personal ones are listed, stopped ones included', async (t) => {
  const { config } = setup(t)
  const fake = fakeDocker([])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: [], kept: [] })
  t.same(fake.listCalls, [{ all: true, filters: { label: ['bastion.user'] } }])
})

t.test('a container idle past gcIdleSeconds with no live session is removed by force', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-old', IDLE + 1)
  const fake = fakeDocker([container('old', { execIds: ['e1', 'e2'] })], { e1: false, e2: false })
  const log = captureLog()
  t.same(await gc(fake.docker, config, log.logger, NOW), { removed: ['shell-old'], kept: [] })
  t.same(fake.removeCalls, [{ id: 'old', options: { force: true } }])
  t.match(log.records(), [{ level: 30, container: 'shell-old', idleSeconds: IDLE + 1, msg: 'gc removed an idle container' }])
})

t.test('a container idle for exactly gcIdleSeconds is due', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-edge', IDLE)
  usedAgo('shell-inside', IDLE - 1)
  const fake = fakeDocker([container('edge'), container('inside')])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: ['shell-edge'], kept: ['shell-inside'] })
})

t.test('a container with a running exec is kept, however old its last activity', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-busy', 30 * 86400)
  const fake = fakeDocker([container('busy', { execIds: ['done', 'live'] })], { done: false, live: true })
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: [], kept: ['shell-busy'] })
  t.same(fake.removeCalls, [])
})

t.test('a container used within gcIdleSeconds is kept, even with no session now', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-recent', IDLE - 1)
  const fake = fakeDocker([container('recent')])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: [], kept: ['shell-recent'] })
  t.same(fake.removeCalls, [])
})

t.test('with no activity mark, idleness counts from the container\'s start', async (t) => {
  const { config } = setup(t)
  const fake = fakeDocker([
    container('fresh', { startedAt: new Date(NOW - 60_000).toISOString() }),
    container('stale', { startedAt: new Date(NOW - (IDLE + 60) * 1000).toISOString() }),
    container('never', { startedAt: '0001-01-01T00:00:00Z' }),
    container('garbled', { startedAt: 'not a time' })
  ])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: ['shell-stale', 'shell-never', 'shell-garbled'], kept: ['shell-fresh'] })
})

t.test('the activity mark wins over the start time', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-restarted', IDLE + 10)
  const fake = fakeDocker([container('restarted', { startedAt: new Date(NOW - 1000).toISOString() })])
  t.same((await gc(fake.docker, config, silentLogger(), NOW)).removed, ['shell-restarted'])
})

t.test('an exec that Docker no longer knows, or a container without execs, is no live session', async (t) => {
  const { config } = setup(t)
  const fake = fakeDocker([container('gone-exec', { execIds: ['vanished'] }), container('null-execs', { execIds: null })])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: ['shell-gone-exec', 'shell-null-execs'], kept: [] })
})

t.test('each container is judged on its own, and reported by name', async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-a', IDLE * 2)
  usedAgo('shell-b', 10)
  usedAgo('shell-c', IDLE * 2)
  const fake = fakeDocker([container('a'), container('b'), container('c', { execIds: ['x'] }), container('d', { name: undefined })], { x: true })
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: ['shell-a', 'd'], kept: ['shell-b', 'shell-c'] })
  t.same(fake.removeCalls.map((c) => c.id), ['a', 'd'])
  t.same(fake.containers.map((c) => c.id), ['b', 'c'])
})

t.test("another instance's containers (on another network) are neither removed nor reported", async (t) => {
  const { config, usedAgo } = setup(t)
  usedAgo('shell-mine', IDLE * 2)
  usedAgo('shell-theirs', IDLE * 2)
  const fake = fakeDocker([container('mine'), container('theirs', { network: 'bastion-bench' })])
  t.same(await gc(fake.docker, config, silentLogger(), NOW), { removed: ['shell-mine'], kept: [] })
  t.same(fake.containers.map((c) => c.id), ['theirs'])
})

t.test('gc measures idleness up to the current time unless told otherwise', async (t) => {
  const { config } = setup(t)
  await touchActivity(config, 'shell-now')
  const fake = fakeDocker([
    container('now', { startedAt: new Date(Date.now() - 2 * 86400_000).toISOString() }),
    container('days', { startedAt: new Date(Date.now() - 2 * 86400_000).toISOString() })
  ])
  t.same(await gc(fake.docker, config, silentLogger()), { removed: ['shell-days'], kept: ['shell-now'] })
})

t.test('touchActivity creates the mark, in a private directory', async (t) => {
  const { stateDir, config } = setup(t)
  const before = Date.now()
  await touchActivity(config, 'shell-alice-2bd806c97f')
  const file = join(stateDir, 'activity', 'shell-alice-2bd806c97f')
  t.ok(statSync(file).mtimeMs >= before - 1000, 'the mark is fresh')
  t.equal(statSync(file).size, 0)
  t.equal(statSync(join(stateDir, 'activity')).mode & 0o777, 0o700)
})

t.test('touchActivity moves an existing mark to now, and keeps the container from gc', async (t) => {
  const { stateDir, config, usedAgo } = setup(t)
  usedAgo('shell-alice', 5 * 86400)
  const file = join(stateDir, 'activity', 'shell-alice')
  const fake = fakeDocker([container('alice')])
  await touchActivity(config, 'shell-alice')
  t.ok(statSync(file).mtimeMs > Date.now() - 60_000, 'the mark moved to now')
  t.same(await gc(fake.docker, config, silentLogger(), Date.now()), { removed: [], kept: ['shell-alice'] })
})
