// Tests of the real STS adapter against a local HTTP server that speaks the
// STS query protocol, so the SDK's request, parsing and retries run for real.

import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createStsClient, StsError, toStsError, type StsClientOptions } from '../../src/sts/sts-client.ts'

type Handler = (body: URLSearchParams, res: ServerResponse) => void
const input = { roleArn: 'arn:aws:iam::111122223333:role/dev', sessionName: 'alice', sourceIdentity: 'alice', durationSeconds: 3600 }

const ok = (res: ServerResponse, creds = `
  <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey>
  <SessionToken>t0k3n</SessionToken><Expiration>2030-01-01T01:00:00Z</Expiration>`): void => {
  res.writeHead(200, { 'content-type': 'text/xml' })
  res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
    <Credentials>${creds}</Credentials></AssumeRoleResult>
    <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
}

const fault = (status: number, code: string) => (_body: URLSearchParams, res: ServerResponse): void => {
  res.writeHead(status, { 'content-type': 'text/xml' })
  res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
    <Code>${code}</Code><Message>not for you</Message></Error><RequestId>r2</RequestId></ErrorResponse>`)
}

async function fakeSts (t: Tap, handler: Handler, opts: Partial<StsClientOptions> = {}) {
  const requests: URLSearchParams[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let raw = ''
    req.on('data', (chunk: Buffer) => { raw += chunk.toString() })
    req.on('end', () => { const body = new URLSearchParams(raw); requests.push(body); handler(body, res) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const client = createStsClient({
    region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeoutMs: 2000, maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'host-secret' }, ...opts
  })
  t.teardown(() => { client.close() })
  return { client, requests }
}
type Tap = { teardown: (fn: () => void) => unknown }

const signal = (): AbortSignal => new AbortController().signal

t.test('AssumeRole sends role, session, source identity and duration and returns the credentials', async (t) => {
  const { client, requests } = await fakeSts(t, (_b, res) => { ok(res) })
  const before = Date.now()
  const creds = await client.assumeRole(input, signal())
  const body = requests[0]
  t.equal(body?.get('Action'), 'AssumeRole')
  t.same([body?.get('RoleArn'), body?.get('RoleSessionName'), body?.get('SourceIdentity'), body?.get('DurationSeconds')],
    [input.roleArn, 'alice', 'alice', '3600'])
  t.same([creds.accessKeyId, creds.secretAccessKey, creds.sessionToken], ['ASIAEXAMPLE', 's3cr3t', 't0k3n'])
  t.equal(creds.expiration.toISOString(), '2030-01-01T01:00:00.000Z')
  t.ok(creds.obtainedAt.getTime() >= before && creds.obtainedAt.getTime() <= Date.now())
})

for (const [status, code, kind] of [
  [403, 'AccessDenied', 'access-denied'],
  [400, 'Throttling', 'throttled'],
  [500, 'InternalFailure', 'unavailable']
] as const) {
  t.test(`an STS ${code} answer becomes ${kind}, with no secret in the message`, async (t) => {
    const { client } = await fakeSts(t, fault(status, code))
    const err = await client.assumeRole(input, signal()).catch((e: unknown) => e)
    t.ok(err instanceof StsError)
    t.equal((err as StsError).kind, kind)
    t.notMatch((err as StsError).message, /host-secret|AKIDEXAMPLE/)
  })
}

t.test('the SDK retries a server error up to maxAttempts', async (t) => {
  const { client, requests } = await fakeSts(t, (_b, res) => {
    if (requests.length === 1) fault(503, 'ServiceUnavailable')(_b, res)
    else ok(res)
  }, { maxAttempts: 2 })
  t.equal((await client.assumeRole(input, signal())).accessKeyId, 'ASIAEXAMPLE')
  t.equal(requests.length, 2)
})

t.test('a response without credentials is unavailable', async (t) => {
  const { client } = await fakeSts(t, (_b, res) => { ok(res, '<AccessKeyId>ASIAEXAMPLE</AccessKeyId>') })
  await t.rejects(client.assumeRole(input, signal()), { name: 'StsError', kind: 'unavailable' })
})

t.test('an aborted call is unavailable', async (t) => {
  const { client } = await fakeSts(t, () => { /* never answers */ })
  const ac = new AbortController()
  const call = client.assumeRole(input, ac.signal)
  setTimeout(() => { ac.abort() }, 50)
  await t.rejects(call, { name: 'StsError', kind: 'unavailable' })
})

t.test('a server that never answers times out after timeoutMs as unavailable', async (t) => {
  const { client } = await fakeSts(t, () => { /* never answers */ }, { timeoutMs: 100 })
  await t.rejects(client.assumeRole(input, signal()), { name: 'StsError', kind: 'unavailable' })
})

t.test('SDK error names map to kinds', async (t) => {
  const kinds = Object.fromEntries(['AccessDeniedException', 'RegionDisabledException', 'MalformedPolicyDocument',
    'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'ExpiredTokenException', 'TimeoutError']
    .map((name) => [name, toStsError(Object.assign(new Error('x'), { name })).kind]))
  t.same(kinds, {
    AccessDeniedException: 'access-denied', RegionDisabledException: 'access-denied', MalformedPolicyDocument: 'access-denied',
    ThrottlingException: 'throttled', RequestLimitExceeded: 'throttled', TooManyRequestsException: 'throttled',
    ExpiredTokenException: 'unavailable', TimeoutError: 'unavailable'
  })
  t.equal(toStsError({ $metadata: { httpStatusCode: 429 } }).kind, 'throttled')
  t.equal(toStsError('boom').kind, 'unavailable')
  const own = new StsError('throttled', 'x')
  t.equal(toStsError(own), own)
})
