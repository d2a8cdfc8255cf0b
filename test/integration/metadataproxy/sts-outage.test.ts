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

t.test('with nothing cached an outage gets 503 fast, STS is not hammered, and recovery needs no request', async (t) => {
  front.mode = 'down'
  t.teardown(() => { front.mode = 'pass' })
  const box = await runBox(t, proxy, { user: 'victor' })
  await sleep(500)
  const results = []
  for (let i = 0; i < 5; i++) results.push(await creds(box, 'victor'))
  t.same(results.map((r) => r.status), [503, 503, 503, 503, 503])
  t.equal(results[0]?.json.Code, 'ServiceUnavailable')
  const calls = front.callsBySession.get('victor') ?? 0
  t.ok(calls <= 3, `the prefetch's one AssumeRole (up to 3 SDK attempts) and no call per request: ${calls} HTTP calls`)
  front.mode = 'pass'
  const healed = await eventually(async () => (front.callsBySession.get('victor') ?? 0) > calls, 15_000)
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
