// The IMDS listener through fastify's inject, with fakes for everything around it. inject
// connects from 127.0.0.1, so that is the address the fake index knows callers by.
import t from 'tap'
import { request } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildImdsApp, type ImdsDeps } from '../../src/imds/app.ts'
import { tokenSigner } from '../../src/imds/token.ts'
import { createMetrics } from '../../src/admin/metrics.ts'
import { BastionError } from '../../src/errors.ts'
import type { ManagedContainer } from '../../src/identity/container-index.ts'
import type { CredentialKey } from '../../src/sts/broker.ts'
import type { Credentials } from '../../src/sts/sts-client.ts'
import type { UpstreamAnswer } from '../../src/imds/passthrough.ts'
import { fakeClock } from '../fixtures/clock.ts'
import { testConfig } from '../fixtures/config.ts'
import { silentLogger } from '../fixtures/log.ts'

const LOCAL = '127.0.0.1'
const CREDS = '/latest/meta-data/iam/security-credentials/'
const alice: ManagedContainer = { id: 'a'.repeat(64), name: 'shell-alice', ip: LOCAL, user: 'alice', role: 'dev' }
const bob: ManagedContainer = { id: 'b'.repeat(64), name: 'shell-bob', ip: LOCAL, user: 'bob', role: 'ops' }

function setup (t: { teardown: (fn: () => unknown) => unknown }, mp: Record<string, unknown> = {}) {
  const c = fakeClock(Date.UTC(2030, 0, 1, 12, 0, 0, 0))
  const state = {
    byIp: new Map<string, ManagedContainer>([[LOCAL, alice]]),
    brokerError: undefined as Error | undefined,
    // What broker.peek answers: the hot path when set.
    cached: undefined as Credentials | undefined,
    upstream: new Map<string, UpstreamAnswer | Error>([['meta-data/instance-id', { status: 200, body: 'i-0123456789abcdef0', contentType: 'text/plain' }]])
  }
  const brokerCalls: CredentialKey[] = []
  const peeks: CredentialKey[] = []
  const fetched: string[] = []
  const audited: Array<{ container: ManagedContainer, roleArn: string, creds: Credentials }> = []
  const creds: Credentials = {
    accessKeyId: 'ASIAEXAMPLE000000001',
    secretAccessKey: 'secret/of+alice',
    sessionToken: 'session-token-of-alice',
    expiration: new Date(Date.UTC(2030, 0, 1, 13, 0, 0, 789)),
    obtainedAt: new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 123))
  }
  const signer = tokenSigner()
  const metrics = createMetrics({ containers: () => 0, indexReady: () => true, cacheEntries: () => 0, iptablesOk: () => true })
  const deps: ImdsDeps = {
    index: { lookup: (ip) => state.byIp.get(ip) },
    broker: {
      get: async (key) => {
        brokerCalls.push(key)
        if (state.brokerError !== undefined) throw state.brokerError
        return creds
      },
      peek: (key) => {
        peeks.push(key)
        return state.cached
      }
    },
    signer,
    passthrough: {
      allowed: (p) => state.upstream.has(p),
      fetch: async (p) => {
        fetched.push(p)
        const a = state.upstream.get(p)
        if (a === undefined) throw new Error(`fake passthrough asked for ${p}`)
        if (a instanceof Error) throw a
        return a
      }
    },
    clock: c.clock,
    log: silentLogger(),
    metrics,
    audit: { issued: (container, roleArn, cr) => { audited.push({ container, roleArn, creds: cr }) } }
  }
  const config = testConfig(mp)
  const app = buildImdsApp(config, deps)
  t.teardown(() => app.close())
  const putToken = async (headers: Record<string, string> = { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }) =>
    await app.inject({ method: 'PUT', url: '/latest/api/token', headers })
  const token = async (): Promise<string> => (await putToken()).body
  const get = async (url: string, tok?: string, headers: Record<string, string> = {}) =>
    await app.inject({ method: 'GET', url, headers: tok === undefined ? headers : { ...headers, 'x-aws-ec2-metadata-token': tok } })
  const requestsCount = async (route: string, status: string): Promise<number> => {
    const m = await metrics.requests.get()
    return m.values.find((v) => v.labels.route === route && v.labels.status === status)?.value ?? 0
  }
  return { app, state, brokerCalls, peeks, fetched, audited, creds, signer, metrics, putToken, token, get, requestsCount, ...c }
}

t.test('PUT /latest/api/token answers a token and echoes the TTL header', async (t) => {
  const { putToken, get } = setup(t)
  const res = await putToken({ 'x-aws-ec2-metadata-token-ttl-seconds': '300' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-aws-ec2-metadata-token-ttl-seconds'], '300')
  t.match(res.headers['content-type'], /^text\/plain/)
  t.equal(res.headers.server, 'EC2ws')
  t.match(res.body, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  t.equal((await get(CREDS + 'dev', res.body)).statusCode, 200, 'and the token works')
})

t.test('a token PUT with a missing or out-of-range TTL is 400', async (t) => {
  const { putToken } = setup(t)
  t.equal((await putToken({})).statusCode, 400, 'missing')
  for (const ttl of ['0', '21601', '-1', '1e3', 'abc', '']) {
    t.equal((await putToken({ 'x-aws-ec2-metadata-token-ttl-seconds': ttl })).statusCode, 400, JSON.stringify(ttl))
  }
  t.equal((await putToken({ 'x-aws-ec2-metadata-token-ttl-seconds': '1' })).statusCode, 200, '1 is fine')
})

t.test('a token PUT carrying X-Forwarded-For is 403', async (t) => {
  const { putToken } = setup(t)
  const res = await putToken({ 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.1' })
  t.equal(res.statusCode, 403)
  t.equal(res.body, '')
})

t.test('other methods on the token path are 405', async (t) => {
  const { app } = setup(t)
  for (const method of ['GET', 'HEAD', 'POST', 'DELETE'] as const) {
    const res = await app.inject({ method, url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })
    t.equal(res.statusCode, 405, method)
  }
})

t.test('a GET without a token is 401 when IMDSv1 is off', async (t) => {
  const { get, brokerCalls } = setup(t)
  for (const url of [CREDS + 'dev', CREDS, '/latest/meta-data/', '/latest/meta-data/instance-id']) {
    t.equal((await get(url)).statusCode, 401, url)
  }
  t.equal(brokerCalls.length, 0)
})

t.test('a GET without a token is answered when IMDSv1 is on', async (t) => {
  const { get } = setup(t, { imds: { allowV1: true } })
  const res = await get(CREDS + 'dev')
  t.equal(res.statusCode, 200)
  t.equal(JSON.parse(res.body).Code, 'Success')
})

t.test('a garbage token is 401, even when IMDSv1 is on', async (t) => {
  const { get } = setup(t, { imds: { allowV1: true } })
  for (const tok of ['garbage', '', 'a.b', 'x'.repeat(5000)]) {
    t.equal((await get(CREDS + 'dev', tok)).statusCode, 401, tok.slice(0, 10))
  }
})

t.test('a token in the query string does not count', async (t) => {
  const { get, token } = setup(t)
  const tok = await token()
  t.equal((await get(`${CREDS}dev?x-aws-ec2-metadata-token=${tok}`)).statusCode, 401)
})

t.test('a token from container A is rejected from container B at the same IP', async (t) => {
  const { get, token, state, brokerCalls } = setup(t)
  const tok = await token()
  state.byIp.set(LOCAL, bob)
  const res = await get(CREDS + 'ops', tok)
  t.equal(res.statusCode, 401)
  t.equal(brokerCalls.length, 0)
})

t.test('a token issued for another container id or another IP is 401', async (t) => {
  const { get, signer, clock } = setup(t)
  t.equal((await get(CREDS + 'dev', signer.issue({ containerId: bob.id, ip: LOCAL }, 60, clock.now()))).statusCode, 401)
  t.equal((await get(CREDS + 'dev', signer.issue({ containerId: alice.id, ip: '10.250.0.9' }, 60, clock.now()))).statusCode, 401)
  t.equal((await get(CREDS + 'dev', signer.issue({ containerId: alice.id, ip: LOCAL }, 60, clock.now()))).statusCode, 200)
})

t.test('an expired token is 401', async (t) => {
  const { get, putToken, advance } = setup(t)
  const tok = (await putToken({ 'x-aws-ec2-metadata-token-ttl-seconds': '60' })).body
  await advance(59_999)
  t.equal((await get(CREDS + 'dev', tok)).statusCode, 200)
  await advance(1)
  t.equal((await get(CREDS + 'dev', tok)).statusCode, 401)
})

t.test('credentials come back in the IMDS JSON shape, without milliseconds, for the role under the default prefix (rbacsync\'s path)', async (t) => {
  const { get, token, brokerCalls, audited, creds } = setup(t)
  const res = await get(CREDS + 'dev', await token())
  t.equal(res.statusCode, 200)
  t.same(JSON.parse(res.body), {
    Code: 'Success',
    LastUpdated: '2030-01-01T12:00:00Z',
    Type: 'AWS-HMAC',
    AccessKeyId: 'ASIAEXAMPLE000000001',
    SecretAccessKey: 'secret/of+alice',
    Token: 'session-token-of-alice',
    Expiration: '2030-01-01T13:00:00Z'
  })
  t.same(brokerCalls, [{ roleArn: 'arn:aws:iam::123456789012:role/k8s-access/dev', sessionName: 'alice', sourceIdentity: 'alice' }])
  t.same(audited, [{ container: alice, roleArn: 'arn:aws:iam::123456789012:role/k8s-access/dev', creds }])
})

t.test('credential paths work with a dated version, duplicate slashes and a trailing slash', async (t) => {
  const { get, token } = setup(t)
  const tok = await token()
  for (const url of ['/2016-09-02/meta-data/iam/security-credentials/dev', '//latest//meta-data//iam//security-credentials//dev', CREDS + 'dev/']) {
    t.equal((await get(url, tok)).statusCode, 200, url)
  }
})

t.test('HEAD on the credential path answers without a body', async (t) => {
  const { app, token } = setup(t)
  const res = await app.inject({ method: 'HEAD', url: CREDS + 'dev', headers: { 'x-aws-ec2-metadata-token': await token() } })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '')
})

t.test('the iam listings name the container’s role', async (t) => {
  const { get, token } = setup(t)
  const tok = await token()
  t.equal((await get('/latest/meta-data/iam', tok)).body, 'info\nsecurity-credentials/')
  t.equal((await get('/latest/meta-data/iam/', tok)).body, 'info\nsecurity-credentials/')
  t.equal((await get(CREDS, tok)).body, 'dev')
  t.equal((await get('/latest/meta-data/iam/security-credentials', tok)).body, 'dev')
  const info = JSON.parse((await get('/latest/meta-data/iam/info', tok)).body) as Record<string, string>
  t.match(info, { Code: 'Success', LastUpdated: '2030-01-01T12:00:00Z', InstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/dev' })
  t.match(info.InstanceProfileId, /^AIPA[0-9A-F]{17}$/)
})

t.test('the top-level and meta-data listings show the allowlist and iam', async (t) => {
  const { get, token } = setup(t)
  const tok = await token()
  const root = await get('/latest/', tok)
  t.equal(root.statusCode, 200)
  t.equal(root.body, 'dynamic\nmeta-data')
  const md = await get('/latest/meta-data/', tok)
  t.equal(md.statusCode, 200)
  t.same(md.body.split('\n'), ['iam/', 'instance-id', 'instance-type', 'placement/', 'services/'])
  t.equal((await get('/latest/meta-data', tok)).body, md.body)
})

t.test('a role prefix with a path lists the bare role name and assumes the full path', async (t) => {
  const { get, token, brokerCalls } = setup(t, { credentials: { rolePrefix: 'k8s-access/team-' } })
  const tok = await token()
  t.equal((await get(CREDS, tok)).body, 'team-dev')
  t.equal((await get(CREDS + 'dev', tok)).statusCode, 404)
  t.equal((await get(CREDS + 'team-dev', tok)).statusCode, 200)
  t.same(brokerCalls.map((k) => k.roleArn), ['arn:aws:iam::123456789012:role/k8s-access/team-dev'])
})

t.test('a role name of the full 64 characters is served', async (t) => {
  const { get, token, state } = setup(t)
  const role = 'r'.repeat(64)
  state.byIp.set(LOCAL, { ...alice, role })
  t.equal((await get(CREDS + role, await token())).statusCode, 200)
})

t.test('a credential request for another role name is 404 and never reaches STS', async (t) => {
  const { get, token, brokerCalls } = setup(t)
  const tok = await token()
  for (const name of ['admin', 'Dev', 'dev2', 'ops', 'dev%2f..%2fadmin', 'dev/extra']) {
    t.equal((await get(CREDS + name, tok)).statusCode, 404, name)
  }
  t.equal(brokerCalls.length, 0)
})

t.test('an unknown caller gets 404 on every path, the token path included', async (t) => {
  const { app, state, brokerCalls, fetched, requestsCount } = setup(t, { imds: { allowV1: true } })
  state.byIp.clear()
  state.byIp.set('10.250.0.2', alice)
  const requests = [
    { method: 'PUT' as const, url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } },
    { method: 'GET' as const, url: '/latest/api/token' },
    { method: 'GET' as const, url: CREDS + 'dev' },
    { method: 'GET' as const, url: CREDS },
    { method: 'GET' as const, url: '/latest/meta-data/iam/info' },
    { method: 'GET' as const, url: '/latest/meta-data/instance-id' },
    { method: 'GET' as const, url: '/latest/meta-data/' },
    { method: 'GET' as const, url: '/latest/user-data' },
    { method: 'GET' as const, url: '/' },
    { method: 'POST' as const, url: CREDS + 'dev' }
  ]
  for (const r of requests) t.equal((await app.inject(r)).statusCode, 404, `${r.method} ${r.url}`)
  t.equal(brokerCalls.length, 0)
  t.equal(fetched.length, 0)
  t.equal(await requestsCount('unknown-caller', '404'), requests.length)
})

t.test('a container with a problem gets 404 on the credential paths and no STS call', async (t) => {
  const { get, token, state, brokerCalls } = setup(t)
  state.byIp.set(LOCAL, { ...alice, problem: 'IAM_ROLE is not set', role: '' })
  const tok = await token()
  t.ok(tok.length > 0, 'it can still get a token')
  for (const url of ['/latest/meta-data/iam', '/latest/meta-data/iam/info', CREDS, CREDS + 'dev', CREDS + '']) {
    t.equal((await get(url, tok)).statusCode, 404, url)
  }
  t.equal((await get('/latest/meta-data/instance-id', tok)).statusCode, 200, 'harmless paths still work')
  t.equal(brokerCalls.length, 0)
})

t.test('STS refusing the role is 403 with an IMDS error body', async (t) => {
  const { get, token, state, audited } = setup(t)
  state.brokerError = new BastionError('BASTION_METADATAPROXY_STS_ACCESS_DENIED', 'denied')
  const res = await get(CREDS + 'dev', await token())
  t.equal(res.statusCode, 403)
  t.same(JSON.parse(res.body), { Code: 'AssumeRoleUnauthorizedAccess', Message: 'The bastion cannot assume role dev for alice', LastUpdated: '2030-01-01T12:00:00Z' })
  t.same(audited, [])
})

t.test('STS being unavailable, or any other failure, is 503 with an IMDS error body', async (t) => {
  for (const err of [new BastionError('BASTION_METADATAPROXY_STS_UNAVAILABLE', 'down'), new Error('surprise')]) {
    const { get, token, state } = setup(t)
    state.brokerError = err
    const res = await get(CREDS + 'dev', await token())
    t.equal(res.statusCode, 503, err.message)
    t.match(JSON.parse(res.body), { Code: 'ServiceUnavailable', LastUpdated: '2030-01-01T12:00:00Z' })
    t.notMatch(res.body, /surprise|down/, 'the cause is not shown to the container')
  }
})

t.test('security-credentials-extended and the host identity paths are 404 and never forwarded', async (t) => {
  const { get, token, fetched, brokerCalls } = setup(t)
  const tok = await token()
  for (const url of [
    '/latest/meta-data/iam/security-credentials-extended/', '/latest/meta-data/iam/security-credentials-extended/dev',
    '/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance', '/latest/meta-data/identity-credentials/ec2/info',
    '/latest/user-data', '/latest/dynamic/instance-identity/pkcs7', '/latest/dynamic/instance-identity/signature',
    '/latest/dynamic/instance-identity/rsa2048', '/latest/meta-data/iam/security-credentials/dev/extra'
  ]) t.equal((await get(url, tok)).statusCode, 404, url)
  t.same(fetched, [])
  t.same(brokerCalls, [])
})

// inject resolves dot segments and backslashes the way a browser would before the app
// sees them, so path tricks go over a real socket, byte for byte as a client wrote them.
async function listenLocal (app: FastifyInstance): Promise<number> {
  await app.listen({ host: LOCAL, port: 0 })
  return (app.server.address() as AddressInfo).port
}

function rawStatus (port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOCAL, port }, () => { socket.write(head) })
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => { text += d })
    socket.on('error', reject)
    socket.on('close', () => { resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0)) })
  })
}

t.test('path tricks sent raw are 404 and never forwarded', async (t) => {
  const { app, token, fetched, brokerCalls } = setup(t)
  const tok = await token()
  const port = await listenLocal(app)
  const rawGet = (target: string): Promise<number> =>
    rawStatus(port, `GET ${target} HTTP/1.1\r\nHost: 169.254.169.254\r\nx-aws-ec2-metadata-token: ${tok}\r\nConnection: close\r\n\r\n`)
  t.equal(await rawGet('/latest/meta-data/instance-id'), 200, 'the plain path is served over the same socket path')
  t.equal(await rawGet(CREDS + 'dev'), 200)
  fetched.length = 0
  brokerCalls.length = 0
  for (const target of [
    '/latest/meta-data/instance-id/../../user-data', '/latest/meta-data/instance-id/..', '/latest/./meta-data/instance-id',
    '/latest/meta-data/%2e%2e/user-data', '/latest/meta-data/instance-id/%2E%2E/%2e%2E/user-data',
    '/latest/meta-data%2finstance-id', '/latest/meta-data%252finstance-id', '/latest/meta-data/instance-id%00',
    '/LATEST/meta-data/instance-id', '/latest/meta-data\\instance-id', '/latest\\meta-data\\iam\\security-credentials\\dev',
    '/latest/meta-data/iam/security-credentials/dev/..', '/latest/meta-data/iam/security-credentials/%2e%2e/security-credentials/dev',
    'http://169.254.169.254/latest/meta-data/instance-id'
  ]) t.equal(await rawGet(target), 404, target)
  t.same(fetched, [])
  t.same(brokerCalls, [])
})

t.test('an allowlisted path is answered from the passthrough', async (t) => {
  const { get, token, fetched, requestsCount } = setup(t)
  const res = await get('/latest/meta-data/instance-id?x=1', await token())
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'i-0123456789abcdef0')
  t.same(fetched, ['meta-data/instance-id'])
  t.equal(await requestsCount('passthrough', '200'), 1)
})

t.test('a passthrough path the upstream does not have is 404', async (t) => {
  const { get, token, state } = setup(t)
  state.upstream.set('meta-data/instance-type', { status: 404, body: 'Not Found', contentType: 'text/html' })
  t.equal((await get('/latest/meta-data/instance-type', await token())).statusCode, 404)
})

t.test('a path outside the allowlist is 404 and not fetched', async (t) => {
  const { get, token, fetched } = setup(t)
  t.equal((await get('/latest/meta-data/public-keys/0/openssh-key', await token())).statusCode, 404)
  t.same(fetched, [])
})

t.test('a failing passthrough is 502', async (t) => {
  const { get, token, state } = setup(t)
  state.upstream.set('meta-data/instance-id', new BastionError('BASTION_METADATAPROXY_UPSTREAM_FAILED', 'timeout'))
  const res = await get('/latest/meta-data/instance-id', await token())
  t.equal(res.statusCode, 502)
  t.equal(res.body, '')
})

t.test('methods other than GET and HEAD on the credential path are 405', async (t) => {
  const { app, token, brokerCalls } = setup(t)
  const tok = await token()
  for (const method of ['POST', 'DELETE', 'PATCH', 'PUT', 'OPTIONS'] as const) {
    const res = await app.inject({ method, url: CREDS + 'dev', headers: { 'x-aws-ec2-metadata-token': tok } })
    t.equal(res.statusCode, 405, method)
  }
  t.equal(brokerCalls.length, 0)
})

t.test('X-Forwarded-For on a GET does not change who the caller is', async (t) => {
  const { get, token, state, brokerCalls } = setup(t)
  state.byIp.set('10.250.0.3', { ...bob, ip: '10.250.0.3' })
  const tok = await token()
  const res = await get(CREDS + 'dev', tok, { 'x-forwarded-for': '10.250.0.3', forwarded: 'for=10.250.0.3', 'x-real-ip': '10.250.0.3' })
  t.equal(res.statusCode, 200)
  t.equal(JSON.parse(res.body).AccessKeyId, 'ASIAEXAMPLE000000001')
  t.equal((await get(CREDS + 'ops', tok, { 'x-forwarded-for': '10.250.0.3' })).statusCode, 404, "bob's role is not alice's")
  t.same(brokerCalls.map((k) => k.sessionName), ['alice'])
})

t.test('X-Forwarded-For naming a known container does not make an unknown caller known', async (t) => {
  const { app, state } = setup(t, { imds: { allowV1: true } })
  state.byIp.clear()
  state.byIp.set('10.250.0.2', alice)
  const res = await app.inject({ method: 'GET', url: CREDS + 'dev', headers: { 'x-forwarded-for': '10.250.0.2' } })
  t.equal(res.statusCode, 404)
})

t.test('every answer is counted by route and status', async (t) => {
  const { get, token, requestsCount } = setup(t)
  const tok = await token()
  await get(CREDS + 'dev', tok)
  await get(CREDS + 'dev', tok)
  await get(CREDS + 'dev')
  t.equal(await requestsCount('token', '200'), 1)
  t.equal(await requestsCount('credentials', '200'), 2)
  t.equal(await requestsCount('unauthorized', '401'), 1)
})

t.test('a request with a header block over maxHeaderBytes is 431 (real listener)', async (t) => {
  const { app } = setup(t, { imds: { maxHeaderBytes: 2048 } })
  const port = await listenLocal(app)
  const status = (headers: Record<string, string>): Promise<number> => new Promise((resolve, reject) => {
    const req = request({ host: LOCAL, port, method: 'PUT', path: '/latest/api/token', headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
  t.equal(await status({ 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-pad': 'p'.repeat(1500) }), 200, 'under the limit')
  t.equal(await status({ 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-pad': 'p'.repeat(4096) }), 431, 'over the limit')
})

t.test('fresh cached credentials are served from peek without waiting on the broker', async (t) => {
  const { state, brokerCalls, peeks, audited, creds, token, get } = setup(t)
  state.cached = { ...creds, accessKeyId: 'ASIACACHED0000000001' }
  const res = await get(CREDS + 'dev', await token())
  t.equal(res.statusCode, 200)
  t.equal(JSON.parse(res.body).AccessKeyId, 'ASIACACHED0000000001')
  t.equal(brokerCalls.length, 0, 'get() was not needed')
  t.equal(peeks.length, 1)
  t.equal(audited.at(-1)?.creds.accessKeyId, 'ASIACACHED0000000001', 'the hot path is audited too')
})

// The node:http fast path only exists on a real listener: inject goes around it.
async function httpGet (port: number, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(`http://${LOCAL}:${port}${path}`, { method, headers })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

t.test('fast path: fresh cached credentials are answered before Fastify, in the same shape', async (t) => {
  const { app, state, brokerCalls, peeks, audited, creds, token, requestsCount } = setup(t)
  state.cached = creds
  const port = await listenLocal(app)
  const tok = await token()
  const fast = await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': tok })
  t.equal(fast.status, 200)
  t.equal(fast.headers.get('server'), 'EC2ws')
  t.match(fast.headers.get('content-type'), /^text\/plain/)
  t.same(Object.keys(JSON.parse(fast.body)), ['Code', 'LastUpdated', 'Type', 'AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration'])
  t.equal(brokerCalls.length, 0)
  t.equal(peeks.length, 1)
  t.equal(audited.length, 1, 'audited')
  t.equal(await requestsCount('credentials', '200'), 1, 'counted')
  state.cached = undefined
  const slow = await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': tok })
  t.equal(slow.status, 200)
  t.equal(brokerCalls.length, 1, 'without a fresh credential the full path asks the broker')
  t.equal(slow.body, fast.body, 'both paths answer the same body')
})

t.test('fast path: everything but a servable credential GET falls through to the full protocol', async (t) => {
  const { app, state, creds, token, signer, clock } = setup(t)
  state.cached = creds
  const port = await listenLocal(app)
  const tok = await token()
  t.equal((await httpGet(port, CREDS + 'dev')).status, 401, 'no token')
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': 'garbage' })).status, 401, 'bad token')
  // Signed at the app's own time, so only the container id can make it fail; the same
  // token for alice's id is the control that it would pass otherwise.
  const foreign = signer.issue({ containerId: 'b'.repeat(64), ip: LOCAL }, 60, clock.now())
  const own = signer.issue({ containerId: alice.id, ip: LOCAL }, 60, clock.now())
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': own })).status, 200, 'control: the same token for this container')
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': foreign })).status, 401, "another container's token")
  t.equal((await httpGet(port, CREDS + 'other', { 'x-aws-ec2-metadata-token': tok })).status, 404, 'another role')
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': tok }, 'POST')).status, 405, 'POST')
  state.byIp.set(LOCAL, { ...alice, problem: 'bad role' })
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': tok })).status, 404, 'a container with a problem')
  state.byIp.delete(LOCAL)
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': tok })).status, 404, 'an unknown caller')
})

t.test('the listener applies the configured connection caps and deadlines, and counts what it refuses', async (t) => {
  const { app, metrics, token, advance } = setup(t, { imds: { maxConnectionsPerSource: 2, headersTimeoutMs: 3000, requestTimeoutMs: 4000, idleTimeoutMs: 2000 } })
  const port = await listenLocal(app)
  t.equal(app.server.headersTimeout, 3000)
  t.equal(app.server.requestTimeout, 4000)
  t.equal(app.server.keepAliveTimeout, 2000)
  const opened: Socket[] = []
  t.teardown(() => { for (const s of opened) s.destroy() })
  const open = async (): Promise<Socket> => {
    const s = connect({ host: LOCAL, port })
    s.on('error', () => {})
    opened.push(s)
    await new Promise((resolve) => s.once('connect', resolve))
    return s
  }
  const closed = async (s: Socket): Promise<void> => { if (!s.closed) await new Promise((resolve) => s.once('close', resolve)) }
  const held = [await open(), await open()]
  await closed(await open())
  await advance(1000)
  await closed(await open())
  const text = await metrics.registry.metrics()
  t.match(text, /^bastion_imds_connections_refused_total\{reason="per-source"\} 2$/m)
  t.match(text, /^bastion_imds_connections 2$/m)
  for (const s of held) { s.destroy(); await closed(s) }
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await httpGet(port, CREDS + 'dev', { 'x-aws-ec2-metadata-token': await token() })).status, 200, 'served again once the held ones are closed')
})
