// Unit tests of the credential cache, with a hand-driven clock and a fake STS
// that counts calls, can hold them open, and can fail with each error kind.

import t from 'tap'
import { setImmediate as tick } from 'node:timers/promises'
import { CredentialBroker, type BrokerOptions, type CredentialKey } from '../../src/sts/broker.ts'
import { StsError, type AssumeRoleClient, type AssumeRoleInput, type Credentials, type StsErrorKind } from '../../src/sts/sts-client.ts'
import type { Clock } from '../../src/clock.ts'
import { fakeClock } from '../fixtures/clock.ts'

type Outcome = { life: number } | { error: StsErrorKind }
interface Call { input: AssumeRoleInput, signal: AbortSignal, at: number, settle: (o: Outcome) => void }

function clockFixture () {
  const c = fakeClock()
  return { clock: c.clock, advance: c.advance, timers: () => c.pending().length }
}

// Answers from `queue` first, then `always`; 'hold' leaves the call for the test to settle.
function fakeSts (clock: Clock) {
  const calls: Call[] = []
  const queue: Array<Outcome | 'hold'> = []
  const state = { always: undefined as Outcome | 'hold' | undefined }
  let n = 0
  const client: AssumeRoleClient = {
    assumeRole: (input, signal) => new Promise<Credentials>((resolve, reject) => {
      const settle = (o: Outcome): void => {
        if ('error' in o) { reject(new StsError(o.error, `fake ${o.error}`)); return }
        n++
        resolve({
          accessKeyId: `ASIA${n}`, secretAccessKey: `secret${n}`, sessionToken: `token${n}`,
          expiration: new Date(clock.now() + o.life * 1000), obtainedAt: new Date(clock.now())
        })
      }
      calls.push({ input, signal, at: clock.now(), settle })
      const next = queue.shift() ?? state.always ?? { life: input.durationSeconds }
      if (next !== 'hold') settle(next)
    })
  }
  return { client, calls, queue, state }
}

function setup (t: { teardown: (fn: () => void) => unknown }, overrides: Partial<BrokerOptions> = {}) {
  const c = clockFixture()
  const sts = fakeSts(c.clock)
  const events: Array<{ outcome: string, ms: number }> = []
  const broker = new CredentialBroker({
    client: sts.client, clock: c.clock, durationSeconds: 3600, minRemainingSeconds: 900,
    refreshBeforeSeconds: 1200, accessDeniedCacheSeconds: 30, retry: { baseMs: 1000, maxMs: 60000 },
    random: () => 1, timeoutMs: 5000, onAssumeRole: (e) => { events.push({ outcome: e.outcome, ms: e.ms }) },
    ...overrides
  })
  t.teardown(() => { broker.close() })
  return { ...c, sts, broker, events }
}

const alice: CredentialKey = { roleArn: 'arn:aws:iam::111122223333:role/dev', sessionName: 'alice', sourceIdentity: 'alice' }
const bob: CredentialKey = { ...alice, sessionName: 'bob', sourceIdentity: 'bob' }
const lifeLeft = (creds: Credentials, now: number): number => (creds.expiration.getTime() - now) / 1000

async function settled (p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(() => { done = true }, () => { done = true })
  await tick()
  return done
}

t.test('a miss calls AssumeRole once with the key and duration, then the cache answers', async (t) => {
  const { sts, broker } = setup(t)
  const first = await broker.get(alice)
  t.same(sts.calls[0]?.input, { roleArn: alice.roleArn, sessionName: 'alice', sourceIdentity: 'alice', durationSeconds: 3600 })
  t.equal(await broker.get(alice), first)
  t.equal(sts.calls.length, 1)
})

t.test('sessions of one role are cached separately', async (t) => {
  const { sts, broker } = setup(t)
  const a = await broker.get(alice)
  const b = await broker.get(bob)
  t.not(a.accessKeyId, b.accessKeyId)
  t.equal(sts.calls.length, 2)
  t.same(broker.stats(), { entries: 2, inflight: 0 })
})

t.test('concurrent misses for one key share a single AssumeRole call', async (t) => {
  const { sts, broker } = setup(t)
  sts.queue.push('hold')
  const gets = Array.from({ length: 10 }, () => broker.get(alice))
  await tick()
  t.equal(sts.calls.length, 1)
  t.same(broker.stats(), { entries: 1, inflight: 1 })
  sts.calls[0]?.settle({ life: 3600 })
  const results = await Promise.all(gets)
  t.ok(results.every((r) => r === results[0]))
  t.same(broker.stats(), { entries: 1, inflight: 0 })
})

t.test('a slow call for one key does not delay another key', async (t) => {
  const { sts, broker } = setup(t)
  sts.queue.push('hold')
  const slow = broker.get(alice)
  t.equal((await broker.get(bob)).accessKeyId, 'ASIA1')
  t.notOk(await settled(slow))
})

t.test('a key in use is refreshed in the background once, and gets never wait for it', async (t) => {
  const { sts, broker, advance, clock } = setup(t)
  const old = await broker.get(alice)
  await advance(60_000)
  await broker.get(alice)
  sts.queue.push('hold')
  await advance(2340_000) // expiration - refreshBeforeSeconds
  t.equal(sts.calls.length, 2)
  const during = Array.from({ length: 5 }, () => broker.get(alice))
  for (const g of during) t.ok(await settled(g), 'get answered from cache while refresh is in flight')
  t.equal(await during[0], old)
  t.equal(sts.calls.length, 2)
  sts.calls[1]?.settle({ life: 3600 })
  await tick()
  const fresh = await broker.get(alice)
  t.not(fresh, old)
  t.equal(lifeLeft(fresh, clock.now()), 3600)
})

t.test('a healthy STS keeps every served credential above minRemainingSeconds', async (t) => {
  const { sts, broker, advance, clock } = setup(t)
  await broker.get(alice)
  let waited = 0
  let minLife = Infinity
  for (let s = 10; s <= 5 * 3600; s += 10) {
    await advance(10_000)
    const p = broker.get(alice)
    if (!await settled(p)) waited++
    minLife = Math.min(minLife, lifeLeft(await p, clock.now()))
  }
  t.equal(waited, 0, 'no get waited for STS')
  t.ok(minLife >= 900, `least life served was ${minLife} s`)
  t.equal(sts.calls.length, 8, 'one call at start plus one every 2400 s')
})

t.test('a key unused for a whole credential lifetime is not refreshed and is dropped', async (t) => {
  const { sts, broker, advance, timers } = setup(t)
  await broker.get(alice)
  await advance(3600_000)
  t.equal(sts.calls.length, 1)
  t.same(broker.stats(), { entries: 0, inflight: 0 })
  t.equal(timers(), 0)
})

t.test('a key that stops being used is refreshed at most once, then dropped', async (t) => {
  const { sts, broker, advance, timers } = setup(t)
  await broker.get(alice)
  await broker.get(alice)
  await advance(24 * 3600_000)
  t.equal(sts.calls.length, 2)
  t.equal(broker.stats().entries, 0)
  t.equal(timers(), 0)
})

t.test('a get finding less than minRemainingSeconds waits for one shared refresh', async (t) => {
  const { sts, broker, advance } = setup(t)
  const old = await broker.get(alice)
  await advance(2800_000) // 800 s left, the unused key was not refreshed
  const gets = [broker.get(alice), broker.get(alice), broker.get(alice)]
  const results = await Promise.all(gets)
  t.equal(sts.calls.length, 2)
  t.ok(results.every((r) => r === results[0] && r !== old))
})

t.test('when the refresh of a stale credential fails, the still-valid one is served', async (t) => {
  const { sts, broker, advance } = setup(t)
  const old = await broker.get(alice)
  await advance(2800_000)
  sts.queue.push({ error: 'unavailable' })
  t.equal(await broker.get(alice), old)
  t.equal(await broker.get(alice), old, 'served during the backoff without calling STS')
  t.equal(sts.calls.length, 2)
})

t.test('a credential with safetyMarginSeconds or less left is never served', async (t) => {
  const { sts, broker, advance } = setup(t)
  const old = await broker.get(alice)
  sts.state.always = { error: 'unavailable' }
  await advance(3538_000) // 62 s left
  t.equal(await broker.get(alice), old)
  await advance(1000)
  t.equal(await broker.get(alice), old, '61 s left is still served')
  await advance(1000)
  await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
})

for (const kind of ['unavailable', 'throttled'] as const) {
  t.test(`after ${kind}, gets fail fast until the backoff passes, then the timer retries`, async (t) => {
    const { sts, broker, advance } = setup(t)
    sts.queue.push({ error: kind })
    await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
    await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
    await advance(999)
    t.equal(sts.calls.length, 1)
    await advance(1)
    t.equal(sts.calls.length, 2, 'background retry after the backoff')
    await broker.get(alice)
    t.equal(sts.calls.length, 2)
  })
}

t.test('consecutive failures double the backoff up to retry.maxMs and success resets it', async (t) => {
  const { sts, broker, advance } = setup(t, { retry: { baseMs: 1000, maxMs: 4000 } })
  sts.queue.push(...Array.from({ length: 5 }, () => ({ error: 'unavailable' as const })))
  broker.prefetch(alice)
  for (let i = 0; i < 32; i++) { await advance(500); broker.prefetch(alice) }
  const gaps = sts.calls.slice(1).map((c, i) => c.at - (sts.calls[i]?.at ?? 0))
  t.same(gaps, [1000, 2000, 4000, 4000, 4000], 'five failures, then a success at 15 s')
  sts.queue.push({ error: 'unavailable' })
  await advance(2_399_000) // the background refresh at 15 s + 2400 s fails
  broker.prefetch(alice)
  await advance(1000)
  const last = sts.calls.slice(-2).map((c) => c.at)
  t.equal(sts.calls.length, 8)
  t.equal((last[1] ?? 0) - (last[0] ?? 0), 1000, 'back to retry.baseMs after a success')
})

t.test('the backoff is jittered by the injected random()', async (t) => {
  const { sts, broker, advance } = setup(t, { random: () => 0 })
  sts.queue.push({ error: 'unavailable' })
  await t.rejects(broker.get(alice))
  broker.prefetch(alice)
  await advance(499)
  t.equal(sts.calls.length, 1)
  await advance(1)
  t.equal(sts.calls.length, 2, 'half of retry.baseMs when random() is 0')
})

t.test('access-denied is negative-cached, then one call is tried again', async (t) => {
  const { sts, broker, advance } = setup(t)
  sts.queue.push({ error: 'access-denied' })
  await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_ACCESS_DENIED' })
  await advance(29_999)
  await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_ACCESS_DENIED' })
  t.equal(sts.calls.length, 1)
  await advance(1)
  t.equal(sts.calls.length, 2)
  t.equal((await broker.get(alice)).accessKeyId, 'ASIA1')
  t.equal(sts.calls.length, 2)
})

t.test('an unused denied key is forgotten after the window', async (t) => {
  const { sts, broker, advance } = setup(t)
  sts.queue.push({ error: 'access-denied' })
  await t.rejects(broker.get(alice))
  await advance(30_000)
  t.same(broker.stats(), { entries: 0, inflight: 0 })
  await broker.get(alice)
  t.equal(sts.calls.length, 2)
})

t.test('access-denied on refresh withdraws the cached credential', async (t) => {
  const { sts, broker, advance } = setup(t)
  await broker.get(alice)
  await advance(2800_000)
  sts.queue.push({ error: 'access-denied' })
  await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_ACCESS_DENIED' })
})

t.test('a credential returned already short is served without calling STS in a loop', async (t) => {
  const { sts, broker, advance, clock } = setup(t)
  sts.state.always = { life: 600 }
  const creds = await broker.get(alice)
  t.equal(lifeLeft(creds, clock.now()), 600)
  for (let s = 0; s < 60; s++) { await broker.get(alice); await advance(1000) }
  t.equal(sts.calls.length, 6, 'calls at 0, 1, 3, 7, 15 and 31 s')
})

t.test('a call slower than timeoutMs is aborted and counts as unavailable', async (t) => {
  const { sts, broker, advance, events } = setup(t)
  sts.queue.push('hold')
  const get = broker.get(alice)
  await advance(4999)
  t.notOk(await settled(get))
  await advance(1)
  await t.rejects(get, { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
  t.ok(sts.calls[0]?.signal.aborted)
  t.same(events, [{ outcome: 'unavailable', ms: 5000 }])
  await t.rejects(broker.get(alice), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
  t.equal(sts.calls.length, 1, 'the timeout starts a backoff')
})

t.test('onAssumeRole reports each outcome and its duration', async (t) => {
  const { sts, broker, advance, events } = setup(t)
  sts.queue.push('hold', { error: 'access-denied' })
  const get = broker.get(alice)
  await advance(250)
  sts.calls[0]?.settle({ life: 3600 })
  await get
  await t.rejects(broker.get(bob))
  t.same(events, [{ outcome: 'ok', ms: 250 }, { outcome: 'access-denied', ms: 0 }])
})

t.test('prefetch warms the cache and records failures without throwing', async (t) => {
  const { sts, broker } = setup(t)
  broker.prefetch(alice)
  sts.queue.push({ error: 'access-denied' })
  broker.prefetch(bob)
  await tick()
  await broker.get(alice)
  await t.rejects(broker.get(bob), { code: 'BASTION_METADATAPROXY_STS_ACCESS_DENIED' })
  t.equal(sts.calls.length, 2)
})

t.test('close aborts in-flight calls, cancels every timer and refuses later gets', async (t) => {
  const { sts, broker, timers } = setup(t)
  await broker.get(bob)
  sts.queue.push('hold')
  const pending = broker.get(alice)
  broker.close()
  await t.rejects(pending, { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
  t.ok(sts.calls[1]?.signal.aborted)
  t.equal(timers(), 0)
  t.same(broker.stats(), { entries: 0, inflight: 0 })
  await t.rejects(broker.get(bob), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
})

t.test('peek answers fresh credentials synchronously, and nothing when only get() can', async (t) => {
  const { sts, broker, advance } = setup(t)
  t.equal(broker.peek(alice), undefined, 'nothing before the first fetch')
  t.equal(sts.calls.length, 0, 'peek never calls STS')
  const creds = await broker.get(alice)
  t.equal(broker.peek(alice), creds, 'the cached credential once fetched')
  t.equal(broker.peek(bob), undefined, 'per key')
  sts.state.always = { error: 'unavailable' }
  await advance((3600 - 900 + 1) * 1000)
  t.equal(broker.peek(alice), undefined, 'nothing once short of minRemainingSeconds')
  broker.close()
  t.equal(broker.peek(alice), undefined, 'nothing once closed')
})
