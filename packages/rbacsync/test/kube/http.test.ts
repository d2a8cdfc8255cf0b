// The HTTP transport: client certificates and CA from a kubeconfig, JSON, retries with
// backoff on 429 (and on 5xx for reads), errors with the server's message.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { check, kubeTransport, KubeApiError, withRetries, type KubeRequest, type KubeResponse } from '../../src/kube/http.ts'
import { createMeter } from '../../src/reconcile/meter.ts'

const req: KubeRequest = { method: 'GET', path: '/api/v1/namespaces', api: 'list namespaces' }

t.test('429 is retried for any request, honouring Retry-After; 5xx and no answer only for reads', async (t) => {
  const sleeps: number[] = []
  const meter = createMeter()
  const answers: Array<KubeResponse | Error> = [{ status: 429, body: { details: { retryAfterSeconds: 2 } } }, { status: 503, body: 'x' }, new Error('ECONNRESET'), { status: 200, body: { ok: 1 } }]
  const send = withRetries(async () => { const a = answers.shift()!; if (a instanceof Error) throw a; return a }, { timeoutMs: 1, maxAttempts: 5, meter, backoffMs: 10, sleep: async (ms) => { sleeps.push(ms) } })
  t.same(await send(req), { status: 200, body: { ok: 1 } })
  t.same(sleeps, [2000, 20, 40])
  t.same(meter.snapshot(), [{ api: 'k8s:list namespaces', kind: 'read', calls: 4 }])

  const writes: Array<KubeResponse> = [{ status: 503, body: 'x' }]
  const post = withRetries(async () => writes.shift()!, { timeoutMs: 1, maxAttempts: 5, meter, sleep: async () => {} })
  t.same(await post({ method: 'POST', path: '/x', api: 'create x' }), { status: 503, body: 'x' }, 'a write is not retried on 503: it may have been applied')
  const dead = withRetries(async () => { throw new Error('ECONNREFUSED') }, { timeoutMs: 1, maxAttempts: 2, meter, sleep: async () => {} })
  await t.rejects(dead(req), { name: 'KubeApiError', status: 0, message: /GET \/api\/v1\/namespaces: no answer: ECONNREFUSED/ })
  await t.rejects(dead({ method: 'PUT', path: '/y', api: 'update y' }), { status: 0, message: /PUT \/y: no answer/ })
})

t.test('attempts stop at maxAttempts and the last answer is returned', async (t) => {
  let n = 0
  const send = withRetries(async () => { n++; return { status: 429, body: {} } }, { timeoutMs: 1, maxAttempts: 3, meter: createMeter(), sleep: async () => {} })
  t.equal((await send(req)).status, 429)
  t.equal(n, 3)
})

t.test('check returns the body of a 2xx and throws the server\'s message otherwise', async (t) => {
  t.same(check(req, { status: 201, body: { a: 1 } }), { a: 1 })
  t.throws(() => check(req, { status: 409, body: { message: 'the object has been modified', reason: 'Conflict' } }), { name: 'KubeApiError', status: 409, reason: 'Conflict', message: 'GET /api/v1/namespaces: 409 the object has been modified' })
  t.throws(() => check(req, { status: 502, body: 'Bad Gateway' }), { message: 'GET /api/v1/namespaces: 502 Bad Gateway' })
  t.throws(() => check(req, { status: 500, body: undefined }), { message: /500 error/ })
  t.throws(() => check(req, { status: 500, body: {} }), { message: /500 error/ })
  t.ok(new KubeApiError(req, 0, undefined, 'x') instanceof Error)
})

t.test('kubeTransport speaks TLS with the kubeconfig\'s CA and client certificate', async (t) => {
  const dir = t.testdir({})
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt')
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/O=system:masters/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`)
    writeFileSync(join(dir, `${name}.ext`), ext)
    ssl('x509', '-req', '-days', '1', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-extfile', `${name}.ext`, '-out', `${name}.crt`)
  }
  const seen: Array<{ method: string, url: string, cn: string, accept: string, body: string, type: string }> = []
  const server: Server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: true }, (rq, rs) => {
    let body = ''
    rq.on('data', (c: Buffer) => { body += c.toString() })
    rq.on('end', () => {
      const cn = (rq.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN as string
      seen.push({ method: rq.method ?? '', url: rq.url ?? '', cn, accept: rq.headers.accept ?? '', body, type: rq.headers['content-type'] ?? '' })
      if (rq.url === '/text') { rs.writeHead(500).end('plain failure'); return }
      if (rq.url === '/empty') { rs.writeHead(204).end(); return }
      rs.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', ok: true }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caFile: join(dir, 'ca.crt') }],
    users: [{ name: 'u', certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x'
  })
  const http = kubeTransport(kc, { timeoutMs: 5000, maxAttempts: 1, meter: createMeter() })
  t.teardown(http.close)
  t.same(await http({ method: 'POST', path: '/apis/x', body: { a: 1 }, api: 'create x' }), { status: 200, body: { kind: 'Status', ok: true } })
  t.same(await http({ method: 'GET', path: '/text', api: 'get text', accept: 'application/yaml' }), { status: 500, body: 'plain failure' })
  t.same(await http({ method: 'GET', path: '/empty', api: 'get empty' }), { status: 204, body: undefined })
  t.same(seen.map((s) => [s.method, s.url, s.cn, s.accept, s.body, s.type]), [
    ['POST', '/apis/x', 'client', 'application/json', '{"a":1}', 'application/json'],
    ['GET', '/text', 'client', 'application/yaml', '', ''],
    ['GET', '/empty', 'client', 'application/json', '', '']
  ])
})

t.test('a kubeconfig without a current cluster is refused', async (t) => {
  t.throws(() => kubeTransport(new KubeConfig(), { timeoutMs: 1, maxAttempts: 1, meter: createMeter() }), { message: /no current cluster/ })
})
