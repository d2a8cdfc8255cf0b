// The network probe on real sockets: HTTP answers, refusals, timeouts, TLS that trusts
// only the CA given (a self-signed certificate made with openssl), and Unix sockets.
import t from 'tap'
import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { createServer as createNetServer } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { netProbe } from '../../src/doctor/probe.ts'
import { scratchDir } from '../setup/fixtures.ts'

async function listen (server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return (server.address() as { port: number }).port
}

t.test('an HTTP answer: status and (bounded) body', async (t) => {
  const port = await listen(createServer((req, res) => { res.statusCode = req.url === '/big' ? 200 : 503; res.end(req.url === '/big' ? 'x'.repeat(10000) : 'down') }))
  t.same(await netProbe().get(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 2000 }), { status: 503, body: 'down' })
  const big = await netProbe().get(`http://127.0.0.1:${port}/big`, { timeoutMs: 2000 })
  t.equal('body' in big ? big.body.length : 0, 4096)
})

t.test('a refused connection and a server that never answers', async (t) => {
  const closed = createServer()
  const port = await listen(closed)
  const silent = await listen(createServer(() => {}))
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  t.match(await netProbe().get(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 }), { code: 'ECONNREFUSED' })
  t.match(await netProbe().get(`http://127.0.0.1:${silent}/`, { timeoutMs: 200 }), { code: 'ETIMEDOUT', error: 'no answer within 200 ms' })
})

t.test('TLS: trusted with its own CA, refused with another', async (t) => {
  const dir = scratchDir(t)
  const cert = (name: string) => execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  await cert('server')
  await cert('other')
  const server = createTlsServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) }, (_req, res) => { res.statusCode = 401; res.end('{}') })
  const port = await listen(server as unknown as ReturnType<typeof createServer>)
  const url = `https://127.0.0.1:${port}/version`
  t.same(await netProbe().get(url, { timeoutMs: 2000, ca: readFileSync(join(dir, 'server.crt'), 'utf8') }), { status: 401, body: '{}' })
  const wrong = await netProbe().get(url, { timeoutMs: 2000, ca: readFileSync(join(dir, 'other.crt'), 'utf8') })
  t.match(wrong, { code: /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/ })
})

t.test('a Unix socket: connected when something accepts, else why not', async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'broker.sock')
  let accepted = 0
  const server = createNetServer((s) => { accepted++; s.on('error', () => {}); s.on('end', () => s.end()) })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  t.same(await netProbe().connect(path, { timeoutMs: 2000 }), { connected: true })
  t.equal(accepted, 1)
  t.match(await netProbe().connect(join(dir, 'none.sock'), { timeoutMs: 2000 }), { code: 'ENOENT' })
  writeFileSync(join(dir, 'stale.sock'), '')
  t.match(await netProbe().connect(join(dir, 'stale.sock'), { timeoutMs: 2000 }), { code: 'ECONNREFUSED' }, 'a file nothing listens on')
})
