// The source-IP index, against a Docker Engine in memory and a clock moved by hand.
import t from 'tap'
import { ContainerIndex, type IndexOptions, type ManagedContainer } from '../../src/identity/container-index.ts'
import { fakeClock, settle } from '../fixtures/clock.ts'
import { container, containerEvent, fakeDocker, networkEvent } from '../fixtures/docker.ts'
import { silentLogger } from '../fixtures/log.ts'

const RESYNC_MS = 60_000
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)
const IP1 = '10.250.0.2'
const IP2 = '10.250.0.3'

function setup (t: { teardown: (fn: () => unknown) => unknown }, over: Partial<IndexOptions> = {}) {
  const docker = fakeDocker()
  const c = fakeClock()
  const started: ManagedContainer[] = []
  const index = new ContainerIndex({
    source: docker,
    network: 'bastion',
    rolePrefix: '',
    clock: c.clock,
    resyncMs: RESYNC_MS,
    timeoutMs: 5000,
    log: silentLogger(),
    onManagedStart: (ct) => { started.push(ct) },
    ...over
  })
  t.teardown(() => { index.close() })
  // Adds a container to Docker and tells the index with a start event.
  const startContainer = async (id: string, ip: string, nano: bigint, extra: Parameters<typeof container>[2] = {}): Promise<void> => {
    docker.containers.set(id, container(id, ip, extra))
    docker.stream().push(containerEvent('start', id, nano))
    await settle()
  }
  return { docker, index, started, startContainer, ...c }
}

t.test('start() opens the events stream, then indexes the managed containers Docker lists', async (t) => {
  const { docker, index } = setup(t)
  docker.containers.set(A, container(A, IP1, { user: 'alice', role: 'dev' }))
  docker.containers.set(B, container(B, IP2, { user: 'bob', role: 'ops' }))
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined, 'nothing is answered before start')
  await index.start()
  t.equal(index.ready, true)
  t.same(docker.openCalls.map((c) => c.since), [undefined])
  t.same(docker.listCalls, [{ label: 'bastion.user', network: 'bastion' }])
  t.same(index.lookup(IP1), { id: A, name: 'shell-alice', ip: IP1, user: 'alice', role: 'dev' })
  t.same(index.lookup(IP2), { id: B, name: 'shell-bob', ip: IP2, user: 'bob', role: 'ops' })
  t.equal(index.lookup('10.250.0.99'), undefined)
  t.equal(index.size, 2)
})

t.test('start() fails, and the index stays empty, when Docker cannot be reached', async (t) => {
  const { docker, index } = setup(t)
  docker.containers.set(A, container(A, IP1))
  docker.openError = new Error('connect ENOENT /var/run/docker.sock')
  await t.rejects(index.start(), /ENOENT/)
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined)
})

t.test('start() fails when the first listing fails', async (t) => {
  const { docker, index } = setup(t)
  docker.containers.set(A, container(A, IP1))
  docker.listError = new Error('docker 500')
  await t.rejects(index.start(), /docker 500/)
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined)
})

t.test('containers without the bastion.user label are never indexed', async (t) => {
  const { docker, index } = setup(t)
  const unlabeled = container(C, IP1, { labels: { 'com.example': 'x' } })
  docker.containers.set(C, unlabeled)
  docker.ignoreFilters = true // even if Docker's filter let it through
  await index.start()
  t.equal(index.lookup(IP1), undefined, 'not by the resync')
  docker.stream().push(containerEvent('start', C, 1n))
  docker.stream().push(networkEvent('connect', C, 'bastion', 2n))
  await settle()
  t.equal(index.lookup(IP1), undefined, 'not by events')
  t.equal(index.size, 0)
})

t.test('kill and oom keep a container Docker still reports running, and remove one it does not', async (t) => {
  for (const action of ['kill', 'oom']) {
    const { docker, index, startContainer } = setup(t)
    await index.start()
    await startContainer(A, IP1, 1n)
    docker.stream().push(containerEvent(action, A, 2n))
    await settle()
    t.equal(index.lookup(IP1)?.id, A, `kept after ${action} (a signal, or one process killed, not the container)`)
    docker.containers.set(A, container(A, IP1, { running: false }))
    docker.stream().push(containerEvent(action, A, 3n))
    await settle()
    t.equal(index.lookup(IP1), undefined, `removed after ${action} once Docker says it stopped`)
  }
})

t.test('a start event adds a container; die, destroy, stop and pause remove it', async (t) => {
  for (const action of ['die', 'destroy', 'stop', 'pause']) {
    const { docker, index, startContainer } = setup(t)
    await index.start()
    await startContainer(A, IP1, 1n)
    t.equal(index.lookup(IP1)?.id, A, `indexed before ${action}`)
    docker.stream().push(containerEvent(action, A, 2n))
    await settle()
    t.equal(index.lookup(IP1), undefined, `removed by ${action}`)
  }
})

t.test('unpause and restart events add a container too', async (t) => {
  for (const action of ['unpause', 'restart']) {
    const { docker, index } = setup(t)
    await index.start()
    docker.containers.set(A, container(A, IP1))
    docker.stream().push(containerEvent(action, A, 1n))
    await settle()
    t.equal(index.lookup(IP1)?.id, A, action)
  }
})

t.test('other container events change nothing', async (t) => {
  const { docker, index, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  for (const action of ['exec_start', 'rename', 'attach', 'resize', 'health_status: healthy', 'create']) {
    docker.stream().push(containerEvent(action, A, 2n))
  }
  await settle()
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('a start event for a container that is already gone adds nothing', async (t) => {
  const { docker, index } = setup(t)
  await index.start()
  docker.stream().push(containerEvent('start', A, 1n))
  await settle()
  t.equal(index.size, 0)
  docker.containers.set(B, container(B, IP2, { running: false }))
  docker.stream().push(containerEvent('start', B, 2n))
  await settle()
  t.equal(index.size, 0)
})

t.test('a network connect to the bastion network adds, a disconnect removes', async (t) => {
  const { docker, index } = setup(t)
  await index.start()
  docker.containers.set(A, container(A, IP1))
  docker.stream().push(networkEvent('connect', A, 'bastion', 1n))
  await settle()
  t.equal(index.lookup(IP1)?.id, A)
  docker.stream().push(networkEvent('disconnect', A, 'bastion', 2n))
  await settle()
  t.equal(index.lookup(IP1), undefined)
})

t.test('network events for other networks are ignored', async (t) => {
  const { docker, index, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.stream().push(networkEvent('disconnect', A, 'bridge', 2n))
  docker.containers.set(B, container(B, IP2))
  docker.stream().push(networkEvent('connect', B, 'bridge', 3n))
  await settle()
  t.equal(index.lookup(IP1)?.id, A, 'a disconnect elsewhere keeps the container')
  t.equal(index.lookup(IP2), undefined, 'a connect elsewhere adds nothing')
  t.same(docker.inspectCalls.filter((id) => id === B), [], 'not even inspected')
})

t.test('onManagedStart fires once for a new container with a valid role', async (t) => {
  const { docker, index, started, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n, { user: 'alice', role: 'dev' })
  t.same(started, [{ id: A, name: 'shell-alice', ip: IP1, user: 'alice', role: 'dev' }])
  docker.stream().push(containerEvent('start', A, 2n))
  docker.stream().push(networkEvent('connect', A, 'bastion', 3n))
  await settle()
  t.equal(started.length, 1, 'not again for a container already known')
})

t.test('a container with a bad IAM_ROLE is indexed with a problem and does not trigger onManagedStart', async (t) => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a path', { IAM_ROLE: '../admin' }, /not a valid IAM role name/],
    ['an ARN', { IAM_ROLE: 'arn:aws:iam::123456789012:role/admin' }, /not a valid IAM role name/],
    ['nothing', {}, /IAM_ROLE is not set/],
    ['65 characters', { IAM_ROLE: 'x'.repeat(65) }, /not a valid IAM role name/]
  ]
  for (const [what, env, problem] of cases) {
    const { docker, index, started } = setup(t)
    await index.start()
    docker.containers.set(A, container(A, IP1, { env }))
    docker.stream().push(containerEvent('start', A, 1n))
    await settle()
    const found = index.lookup(IP1)
    t.equal(found?.id, A, `${what}: indexed, so the IP is not mistaken for someone else`)
    t.match(found?.problem, problem, `${what}: problem says why`)
    t.same(started, [], `${what}: no prefetch`)
  }
})

t.test('the role prefix counts toward the 64-character limit', async (t) => {
  const { docker, index, started } = setup(t, { rolePrefix: 'team-' })
  await index.start()
  docker.containers.set(A, container(A, IP1, { role: 'x'.repeat(60) }))
  docker.stream().push(containerEvent('start', A, 1n))
  await settle()
  t.match(index.lookup(IP1)?.problem, /longer than 64/)
  t.same(started, [])
})

t.test('a container with a bad bastion.user label gets a problem', async (t) => {
  const { docker, index, started } = setup(t)
  await index.start()
  docker.containers.set(A, container(A, IP1, { user: 'x' }))
  docker.stream().push(containerEvent('start', A, 1n))
  await settle()
  t.match(index.lookup(IP1)?.problem, /session name/)
  t.same(started, [])
})

t.test('an IP reused by a new container maps to the new one, and the old one’s events no longer touch it', async (t) => {
  const { docker, index, started, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n, { user: 'alice', role: 'dev' })
  // A died, but its die event has not been seen yet; B got A's address.
  docker.containers.delete(A)
  await startContainer(B, IP1, 2n, { user: 'bob', role: 'ops' })
  t.match(index.lookup(IP1), { id: B, user: 'bob', role: 'ops' })
  t.equal(index.size, 1)
  t.same(started.map((c) => c.user), ['alice', 'bob'])
  docker.stream().push(networkEvent('disconnect', A, 'bastion', 3n))
  docker.stream().push(containerEvent('die', A, 4n))
  docker.stream().push(containerEvent('destroy', A, 5n))
  await settle()
  t.match(index.lookup(IP1), { id: B, user: 'bob' }, 'A leaving does not remove B')
})

t.test('a container that moves to a new IP is no longer found at the old one', async (t) => {
  const { docker, index, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.containers.set(A, container(A, IP2))
  docker.stream().push(networkEvent('connect', A, 'bastion', 2n))
  await settle()
  t.equal(index.lookup(IP1), undefined)
  t.equal(index.lookup(IP2)?.id, A)
  t.equal(index.size, 1)
})

for (const how of ['ends', 'throws'] as const) {
  t.test(`when the events stream ${how}, the index is empty until reopened from the last event and resynced`, async (t) => {
    const { docker, index, advance, pending, startContainer } = setup(t)
    await index.start()
    await startContainer(A, IP1, 1_700_000_000_123_456_789n)
    t.equal(index.lookup(IP1)?.id, A)
    if (how === 'ends') docker.stream().end()
    else docker.stream().fail(new Error('socket hang up'))
    await settle()
    t.equal(index.ready, false)
    t.equal(index.lookup(IP1), undefined, 'fail closed')
    t.equal(index.size, 0)
    t.equal(docker.openCalls.length, 1, 'not reopened before the backoff')
    t.same(pending(), [200, RESYNC_MS], 'a 200 ms backoff is waiting')
    const listsBefore = docker.listCalls.length
    docker.holdInspects = true
    await advance(200)
    t.equal(docker.openCalls.length, 2)
    t.equal(docker.openCalls[1]?.since, 1_700_000_000_123_456_789n, 'since = the last event seen')
    t.equal(docker.listCalls.length, listsBefore + 1, 'a full resync runs after reopening')
    t.equal(index.ready, false, 'still not ready while the resync runs')
    t.equal(index.lookup(IP1), undefined)
    docker.holdInspects = false
    docker.held.shift()?.resolve(container(A, IP1))
    await settle()
    t.equal(index.ready, true)
    t.equal(index.lookup(IP1)?.id, A)
    await startContainer(B, IP2, 1_700_000_001_000_000_000n)
    t.equal(index.lookup(IP2)?.id, B, 'the new stream is followed')
  })
}

t.test('a container that died during the outage is not found after the reopen', async (t) => {
  const { docker, index, advance, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.stream().end()
  await settle()
  docker.containers.delete(A)
  await advance(200)
  t.equal(index.ready, true)
  t.equal(index.lookup(IP1), undefined)
})

t.test('reopening backs off, doubling, while Docker stays unreachable', async (t) => {
  const { docker, index, advance, pending } = setup(t)
  docker.containers.set(A, container(A, IP1))
  await index.start()
  docker.openError = new Error('docker down')
  docker.stream().end()
  await settle()
  await advance(200)
  t.equal(docker.openCalls.length, 2)
  t.equal(index.ready, false)
  t.same(pending(), [400, RESYNC_MS])
  await advance(400)
  t.equal(docker.openCalls.length, 3)
  t.same(pending(), [800, RESYNC_MS])
  t.equal(docker.openCalls[2]?.since, undefined, 'no event seen yet, so no since')
  docker.openError = undefined
  await advance(800)
  t.equal(docker.openCalls.length, 4)
  t.equal(index.ready, true)
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('a failed resync after reopening keeps the index empty and tries again', async (t) => {
  const { docker, index, advance } = setup(t)
  docker.containers.set(A, container(A, IP1))
  await index.start()
  docker.listError = new Error('docker 500')
  docker.stream().end()
  await settle()
  await advance(200)
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined)
  docker.listError = undefined
  await advance(400)
  t.equal(index.ready, true)
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('the periodic resync removes containers that vanished without events, and adds missed ones', async (t) => {
  const { docker, index, advance } = setup(t)
  docker.containers.set(A, container(A, IP1))
  await index.start()
  docker.containers.delete(A)
  docker.containers.set(B, container(B, IP2))
  await advance(RESYNC_MS - 1)
  t.equal(index.lookup(IP1)?.id, A, 'not before resyncMs')
  await advance(1)
  t.equal(index.lookup(IP1), undefined)
  t.equal(index.lookup(IP2)?.id, B)
  docker.containers.delete(B)
  await advance(RESYNC_MS)
  t.equal(index.lookup(IP2), undefined, 'and again every resyncMs')
  t.equal(docker.listCalls.length, 3)
})

t.test('the periodic resync does not inspect containers it already knows at the same IP', async (t) => {
  const { docker, index, advance } = setup(t)
  docker.containers.set(A, container(A, IP1))
  await index.start()
  const inspects = docker.inspectCalls.length
  await advance(RESYNC_MS)
  t.equal(docker.inspectCalls.length, inspects)
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('a failed periodic resync keeps the index and the schedule', async (t) => {
  const { docker, index, advance, pending } = setup(t)
  docker.containers.set(A, container(A, IP1))
  await index.start()
  docker.listError = new Error('docker 500')
  await advance(RESYNC_MS)
  t.equal(index.lookup(IP1)?.id, A)
  t.same(pending(), [RESYNC_MS])
})

t.test('an inspect that resolves after a later die event cannot bring the container back', async (t) => {
  const { docker, index } = setup(t)
  await index.start()
  docker.holdInspects = true
  docker.stream().push(containerEvent('start', A, 1n))
  docker.stream().push(containerEvent('die', A, 2n))
  await settle()
  t.equal(docker.held.length, 1)
  // The inspect answers late, with what Docker said before the container died.
  docker.held.shift()?.resolve(container(A, IP1))
  await settle()
  t.equal(index.lookup(IP1), undefined)
  t.equal(index.size, 0)
})

t.test('a resync that finishes after a die event cannot bring the container back', async (t) => {
  const { docker, index, advance } = setup(t)
  await index.start()
  docker.containers.set(A, container(A, IP1))
  docker.holdInspects = true
  await advance(RESYNC_MS)
  t.equal(docker.held.length, 1, 'the resync is waiting on its inspect')
  docker.stream().push(containerEvent('die', A, 1n))
  await settle()
  docker.held.shift()?.resolve(container(A, IP1))
  await settle()
  t.equal(index.lookup(IP1), undefined)
})

t.test('close() empties the index and stops the stream, the backoff and the resync', async (t) => {
  const { docker, index, advance, pending, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  index.close()
  await settle()
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined)
  t.ok(docker.openCalls[0]?.signal.aborted, 'the events request is aborted')
  t.same(pending(), [], 'no timer left')
  const lists = docker.listCalls.length
  await advance(RESYNC_MS * 3)
  t.equal(docker.openCalls.length, 1, 'never reopened')
  t.equal(docker.listCalls.length, lists, 'never resynced')
  t.equal(index.lookup(IP1), undefined)
})

t.test('close() during the backoff stops the reopening', async (t) => {
  const { docker, index, advance } = setup(t)
  await index.start()
  docker.stream().end()
  await settle()
  index.close()
  await advance(10_000)
  t.equal(docker.openCalls.length, 1)
  t.equal(index.ready, false)
})

t.test('lookupFresh finds a container whose start event is not processed yet, with one shared resync a second at most', async (t) => {
  const { docker, index, advance } = setup(t)
  await index.start()
  const listsAfterStart = docker.listCalls.length
  // Docker runs it, but no event has reached the index yet.
  docker.containers.set(A, container(A, IP1, { user: 'alice', role: 'dev' }))
  t.equal(index.lookup(IP1), undefined)
  const [a, b] = await Promise.all([index.lookupFresh(IP1), index.lookupFresh(IP1)])
  t.match(a, { id: A, user: 'alice' })
  t.equal(b, a)
  t.equal(docker.listCalls.length, listsAfterStart + 1, 'concurrent misses share one resync')
  t.equal(await index.lookupFresh('10.250.0.99'), undefined, 'a stranger stays unknown')
  t.equal(docker.listCalls.length, listsAfterStart + 1, 'and within the second costs no listing')
  await advance(1000)
  t.equal(await index.lookupFresh('10.250.0.98'), undefined)
  t.equal(docker.listCalls.length, listsAfterStart + 2, 'after a second a miss may resync again')
})

t.test('lookupFresh answers nothing while the index is not ready', async (t) => {
  const { docker, index } = setup(t)
  docker.containers.set(A, container(A, IP1))
  t.equal(await index.lookupFresh(IP1), undefined)
  t.equal(docker.listCalls.length, 0)
})

t.test('a die event removes a container at once, even while an earlier inspect is still waiting', async (t) => {
  const { docker, index, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n, { user: 'alice' })
  docker.holdInspects = true
  // Docker is slow: B's start is being inspected when A's die arrives.
  docker.containers.set(B, container(B, IP2, { user: 'bob' }))
  docker.stream().push(containerEvent('start', B, 2n))
  docker.stream().push(containerEvent('kill', A, 3n))
  docker.containers.delete(A)
  docker.stream().push(containerEvent('die', A, 4n))
  await settle()
  t.equal(docker.held.length, 1, "B's inspect is still waiting")
  t.equal(index.lookup(IP1), undefined, 'A is gone without waiting for it')
  t.equal(index.size, 0)
  docker.holdInspects = false
  docker.held.shift()?.resolve(container(B, IP2, { user: 'bob' }))
  await settle()
  t.equal(index.lookup(IP2)?.user, 'bob', 'the queued inspects still run, in order')
  t.equal(index.lookup(IP1), undefined, "A's kill inspect does not bring it back")
})

t.test('a network disconnect removes at once too, and a stale inspect begun before it cannot undo it', async (t) => {
  const { docker, index, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.holdInspects = true
  docker.stream().push(containerEvent('kill', A, 2n))
  await settle()
  docker.stream().push(networkEvent('disconnect', A, 'bastion', 3n))
  await settle()
  t.equal(index.lookup(IP1), undefined)
  // The kill's inspect answers with what Docker said before the disconnect.
  docker.held.shift()?.resolve(container(A, IP1))
  await settle()
  t.equal(index.lookup(IP1), undefined)
})

t.test('a failed inspect closes the events stream and empties the index until a resync', async (t) => {
  const { docker, index, advance, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.inspectError = new Error('docker 500')
  docker.stream().push(containerEvent('start', B, 2n))
  await settle()
  t.ok(docker.openCalls[0]?.signal.aborted, 'the stream is closed')
  t.equal(index.ready, false)
  t.equal(index.lookup(IP1), undefined, 'fail closed')
  docker.inspectError = undefined
  await advance(200)
  t.equal(index.ready, true)
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('an inspect left over from a stream that broke changes nothing', async (t) => {
  const { docker, index, advance, startContainer } = setup(t)
  await index.start()
  await startContainer(A, IP1, 1n)
  docker.holdInspects = true
  docker.containers.set(B, container(B, IP2))
  docker.stream().push(containerEvent('start', B, 2n))
  await settle()
  docker.stream().fail(new Error('socket hang up'))
  await settle()
  docker.containers.delete(B)
  docker.held.shift()?.resolve(container(B, IP2))
  docker.holdInspects = false
  await advance(200)
  t.equal(index.ready, true)
  t.equal(index.lookup(IP2), undefined, 'B, gone by the resync, is not brought back by the old inspect')
  t.equal(index.lookup(IP1)?.id, A)
})

t.test('the events response is closed when the resync after opening it fails', async (t) => {
  const { docker, index, advance } = setup(t)
  docker.listError = new Error('docker 500')
  await t.rejects(index.start(), /docker 500/)
  t.ok(docker.openCalls[0]?.signal.aborted, 'at start')
  docker.listError = undefined
  await index.start()
  docker.listError = new Error('docker 500')
  docker.stream().end()
  await advance(200)
  await advance(400)
  t.equal(docker.openCalls.length, 4)
  t.same(docker.openCalls.map((c) => c.signal.aborted), [true, true, true, true], 'every stream whose resync failed is closed')
  docker.listError = undefined
  await advance(800)
  t.equal(index.ready, true)
  t.same(docker.openCalls.map((c) => c.signal.aborted), [true, true, true, true, false], 'only the followed one is open')
})

t.test('containers found by a resync are prefetched: at start, after a reopen and for lookupFresh', async (t) => {
  const { docker, index, started, advance } = setup(t)
  docker.containers.set(A, container(A, IP1, { user: 'alice' }))
  docker.containers.set(C, container(C, '10.250.0.4', { user: 'carol', role: 'not a role!' }))
  await index.start()
  t.same(started.map((c) => c.user), ['alice'], 'at start, and not the one with a problem')
  docker.containers.set(B, container(B, IP2, { user: 'bob' }))
  t.equal((await index.lookupFresh(IP2))?.user, 'bob')
  t.same(started.map((c) => c.user), ['alice', 'bob'], 'found by lookupFresh')
  await advance(RESYNC_MS)
  t.same(started.map((c) => c.user), ['alice', 'bob'], 'a resync that finds nothing new prefetches nothing')
  docker.stream().end()
  await advance(200)
  t.same(started.map((c) => c.user), ['alice', 'bob', 'alice', 'bob'], 'after a reopen the emptied index prefetches again')
})
