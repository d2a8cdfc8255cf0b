// IMDSv2 as AWS documents it, on the wire from real containers through the DNAT:
// token TTL rules, the X-Forwarded-For refusal, v2 required by default, and tokens
// bound to the container that asked for them.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)
const a = await runBox(t, proxy, { user: 'erin' })
const b = await runBox(t, proxy, { user: 'frank' })
const TTL = 'X-aws-ec2-metadata-token-ttl-seconds'

t.test('a token PUT echoes the TTL header', async (t) => {
  const r = await a.exec(['curl', '-s', '-D', '-', '-X', 'PUT', '-H', `${TTL}: 21600`, 'http://169.254.169.254/latest/api/token'])
  t.match(r.stdout, /^HTTP\/1\.1 200/)
  t.match(r.stdout, /x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n/i)
})

t.test('a missing or out-of-range TTL gets 400', async (t) => {
  for (const ttl of [undefined, '0', '21601', '-5', 'abc', '']) {
    const r = await a.imds('/latest/api/token', { method: 'PUT', headers: ttl === undefined ? {} : { [TTL]: ttl } })
    t.equal(r.status, 400, `TTL ${String(ttl)}`)
  }
})

t.test('a token PUT carrying X-Forwarded-For gets 403', async (t) => {
  const r = await a.imds('/latest/api/token', { method: 'PUT', headers: { [TTL]: '60', 'X-Forwarded-For': '10.0.0.1' } })
  t.equal(r.status, 403)
})

t.test('GET on the token path gets 405', async (t) => {
  t.equal((await a.imds('/latest/api/token')).status, 405)
})

t.test('v2 is required by default: a tokenless GET gets 401', async (t) => {
  t.equal((await a.imds('/latest/meta-data/iam/security-credentials/')).status, 401)
  t.equal((await a.imds('/latest/meta-data/iam/security-credentials/erin')).status, 401)
})

t.test('garbage tokens get 401', async (t) => {
  for (const token of ['x', 'a.b', 'AAAA.BBBB', 'e30.AAAA', '.'.repeat(300), 'z'.repeat(2000)]) {
    t.equal((await a.imds('/latest/meta-data/iam/security-credentials/erin', { token })).status, 401, token.slice(0, 20))
  }
})

t.test('a token from container A is rejected from container B with 401', async (t) => {
  const tokenA = await a.token()
  const fromB = await b.imds('/latest/meta-data/iam/security-credentials/frank', { token: tokenA })
  t.equal(fromB.status, 401)
  t.notMatch(fromB.body, /AccessKeyId/)
  const fromA = await a.imds('/latest/meta-data/iam/security-credentials/erin', { token: tokenA })
  t.equal(fromA.status, 200, 'the same token works where it was issued')
})

t.test('a token stops working when its TTL runs out', async (t) => {
  const token = await a.token(1)
  await new Promise((r) => setTimeout(r, 2100))
  t.equal((await a.imds('/latest/meta-data/iam/security-credentials/erin', { token })).status, 401)
})

t.test('huge headers get 431 and the proxy keeps serving', async (t) => {
  const r = await a.imds('/latest/meta-data/iam/security-credentials/erin', { token: await a.token(), headers: { 'X-Big': 'x'.repeat(20_000) } })
  t.equal(r.status, 431)
  const after = await b.imds('/latest/meta-data/iam/security-credentials/frank', { token: await b.token() })
  t.equal(after.status, 200)
})

t.test('IMDSv1 is answered only when configured', async (t) => {
  const v1 = await startProxy(t, { allowV1: true })
  const box = await runBox(t, v1, { user: 'gina' })
  const r = await box.imds('/latest/meta-data/iam/security-credentials/gina')
  t.equal(r.status, 200)
  t.match(JSON.parse(r.body), { Code: 'Success' })
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/gina', { token: 'garbage' })).status, 401, 'a bad token is still refused')
})
