// STS misbehaving, on the real wire: moto behind a front the test steers. Cached
// credentials outlive an outage, nothing cached fails fast without hammering STS,
// throttling and denial back off, concurrent misses make one call, and a credential
// in use is refreshed in the background with exactly one AssumeRole.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox, type Box } from '../../fixtures/containers.ts'
import { startStsFront } from '../../fixtures/sts-front.ts'
import { testbed } from '../../fixtures/testbed.ts'

const front = await startStsFront(testbed().stsEndpoint)
t.teardown(() => front.close())
const proxy = await startProxy(t, { stsEndpoint: front.url, credentials: { retryBaseMs: 4000, retryMaxMs: 8000, accessDeniedCacheSeconds: 60 } })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function creds (box: Box, user: string) {
  const r = await box.imds(`/latest/meta-data/iam/security-credentials/${user}`, { token: await box.token() })
  return { status: r.status, body: r.body, json: r.status === 200 || r.status === 403 || r.status === 503 ? JSON.parse(r.body) as Record<string, string> : {} }
}

async function eventually (fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await fn()) return true
    await sleep(250)
  }
  return false
}

t.test('credentials already cached keep being served while STS is down', async (t) => {
  front.mode = 'pass'
  const box = await runBox(t, proxy, { user: 'uma' })
  const first = await creds(box, 'uma')
  t.equal(first.status, 200)
  front.mode = 'down'
  t.teardown(() => { front.mode = 'pass' })
  const during = await creds(box, 'uma')
  t.equal(during.status, 200)
  t.equal(during.json.AccessKeyId, first.json.AccessKeyId, 'the same still-valid key')
})

t.test('with nothing cached an outage gets 503 without waiting on STS, STS is not hammered, and recovery needs no request', async (t) => {
  // Its own proxy, with a backoff long enough that no background retry falls among the
  // requests below: a retry in flight is something a request would rightly wait on.
  const slow = await startProxy(t, { stsEndpoint: front.url, credentials: { retryBaseMs: 20_000, retryMaxMs: 20_000 } })
  front.mode = 'down'
  t.teardown(() => { front.mode = 'pass' })
  const box = await runBox(t, slow, { user: 'victor' })
  const failed = () => slow.logs.some((l) => l.msg === 'AssumeRole failed' && l.user === 'victor')
  for (let i = 0; i < 100 && !failed(); i++) await sleep(100)
  t.ok(failed(), "the prefetch's AssumeRole failed")
  const calls = front.callsBySession.get('victor') ?? 0
  t.ok(calls >= 1 && calls <= 3, `the prefetch's one AssumeRole (up to 3 SDK attempts): ${calls} HTTP calls`)

  // From now on STS never answers: any request that called it would wait for the
  // proxy's own STS timeout. One that is answered at all was answered without a call.
  front.mode = 'hang'
  const token = await box.token()
  const script = `for i in 1 2 3 4 5; do curl -s --max-time 20 -w '\\n@@%{http_code}@@\\n' -H 'X-aws-ec2-metadata-token: ${token}' http://169.254.169.254/latest/meta-data/iam/security-credentials/victor; done`
  const r = await box.exec(['sh', '-c', script])
  t.same([...r.stdout.matchAll(/@@(\d+)@@/g)].map((m) => m[1]), ['503', '503', '503', '503', '503'])
  t.equal((JSON.parse(r.stdout.slice(0, r.stdout.indexOf('@@'))) as Record<string, string>).Code, 'ServiceUnavailable')
  t.equal(front.callsBySession.get('victor') ?? 0, calls, 'no request called STS: none of the five 503s waited on it')

  front.mode = 'pass'
  const healed = await eventually(async () => (front.callsBySession.get('victor') ?? 0) > calls, 30_000)
  t.ok(healed, 'the background retry called STS again after the backoff')
  t.equal((await creds(box, 'victor')).status, 200)
})

t.test('throttling is retried with backoff, then credentials come', async (t) => {
  front.mode = 'throttle'
  t.teardown(() => { front.mode = 'pass' })
  const box = await runBox(t, proxy, { user: 'wendy' })
  await sleep(300)
  t.equal((await creds(box, 'wendy')).status, 503)
  const throttledCalls = front.callsBySession.get('wendy') ?? 0
  await sleep(1000)
  t.equal((await creds(box, 'wendy')).status, 503)
  t.equal(front.callsBySession.get('wendy') ?? 0, throttledCalls, 'no new call inside the backoff window')
  front.mode = 'pass'
  t.ok(await eventually(async () => (await creds(box, 'wendy')).status === 200, 15_000), 'served once STS stops throttling')
})

t.test('AccessDenied is answered 403 and negative-cached', async (t) => {
  front.mode = 'deny'
  t.teardown(() => { front.mode = 'pass' })
  const box = await runBox(t, proxy, { user: 'xavier' })
  await sleep(300)
  const r = await creds(box, 'xavier')
  t.equal(r.status, 403)
  t.equal(r.json.Code, 'AssumeRoleUnauthorizedAccess')
  const calls = front.callsBySession.get('xavier') ?? 0
  t.equal(calls, 1, 'a refusal is not retried by the SDK')
  for (let i = 0; i < 3; i++) t.equal((await creds(box, 'xavier')).status, 403)
  t.equal(front.callsBySession.get('xavier'), 1, 'no further call while the denial is cached')
})

t.test('20 concurrent first requests behind a slow STS make one AssumeRole', async (t) => {
  front.mode = 'pass'
  front.latencyMs = 800
  t.teardown(() => { front.latencyMs = 0 })
  const box = await runBox(t, proxy, { user: 'yara' })
  const token = await box.token()
  const script = `for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\\n' -H 'X-aws-ec2-metadata-token: ${token}' http://169.254.169.254/latest/meta-data/iam/security-credentials/yara & done; wait`
  const r = await box.exec(['sh', '-c', script])
  t.same(r.stdout.trim().split('\n').sort(), Array(20).fill('200'))
  t.equal(front.callsBySession.get('yara'), 1, 'one AssumeRole for the prefetch and all 20 requests')
})

t.test('a credential in use is refreshed in the background with exactly one AssumeRole', async (t) => {
  front.mode = 'pass'
  const quick = await startProxy(t, { stsEndpoint: front.url, credentials: { durationSeconds: 900, refreshBeforeSeconds: 893, minRemainingSeconds: 880 } })
  const box = await runBox(t, quick, { user: 'zane' })
  const first = await creds(box, 'zane')
  t.equal(first.status, 200)
  const before = front.callsBySession.get('zane') ?? 0
  await sleep(9000)
  const second = await creds(box, 'zane')
  t.equal(second.status, 200)
  t.not(second.json.AccessKeyId, first.json.AccessKeyId, 'a new key after the refresh point')
  t.equal((front.callsBySession.get('zane') ?? 0) - before, 1, 'exactly one AssumeRole for the refresh')
  const left = (Date.parse(second.json.Expiration ?? '') - Date.now()) / 1000
  t.ok(left > 880, `the served credential has more than minRemainingSeconds left (${Math.round(left)} s)`)
})
