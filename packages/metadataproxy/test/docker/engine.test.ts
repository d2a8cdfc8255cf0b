// The Engine API calls over docker-modem, against a stand-in Engine on a unix socket.
import t from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerEngine } from '../../src/docker/engine.ts'

async function engine (t: { teardown: (fn: () => unknown) => void }) {
  const seen: Array<{ method: string, url: string, body: string }> = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      const url = new URL(req.url ?? '/', 'http://engine')
      if (url.pathname === '/_ping') { res.end('OK'); return }
      if (url.pathname === '/containers/json') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify([{ Id: 'abc' }])); return }
      if (url.pathname === '/containers/gone/json') { res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: gone"}'); return }
      if (url.pathname === '/containers/abc/json') { res.setHeader('content-type', 'application/json'); res.end('{"Id":"abc"}'); return }
      if (url.pathname === '/events') { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"Type":"container"}\n'); res.end(); return }
      if (url.pathname === '/networks/create') { res.writeHead(201, { 'content-type': 'application/json' }).end('{"Id":"net"}'); return }
      if (url.pathname === '/networks/bastion') { res.setHeader('content-type', 'application/json'); res.end('{"Name":"bastion"}'); return }
      res.writeHead(500).end()
    })
  })
  const dir = mkdtempSync(join(tmpdir(), 'engine-'))
  const socket = join(dir, 'docker.sock')
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  t.teardown(() => { server.close(); rmSync(dir, { recursive: true, force: true }) })
  return { api: dockerEngine(socket), seen }
}

t.test('each call sends the Engine API request the proxy relies on', async (t) => {
  const { api, seen } = await engine(t)
  await api.ping()
  t.same(await api.listContainers({ filters: { label: ['bastion.user'], network: ['bastion'] } }), [{ Id: 'abc' }])
  t.same(await api.getContainer('abc').inspect(), { Id: 'abc' })
  t.same(await api.getNetwork('bastion').inspect(), { Name: 'bastion' })
  t.same(await api.createNetwork({ Name: 'bastion' }), { Id: 'net' })
  const stream = await api.getEvents({ filters: { type: ['container'] }, since: '1.000000001' })
  let text = ''
  for await (const chunk of stream) text += String(chunk)
  t.equal(text, '{"Type":"container"}\n', 'events arrive as a stream')
  const urls = seen.map((s) => `${s.method} ${decodeURIComponent(s.url)}`)
  t.equal(urls[0], 'GET /_ping')
  t.match(urls[1], /^GET \/containers\/json\?filters=\{"label":\["bastion.user"\],"network":\["bastion"\]\}$/)
  t.equal(urls[2], 'GET /containers/abc/json')
  t.equal(urls[3], 'GET /networks/bastion')
  t.match(seen[4], { method: 'POST', url: '/networks/create' })
  t.same(JSON.parse(seen[4]?.body ?? '{}'), { Name: 'bastion' })
  t.match(urls[5], /^GET \/events\?filters=\{"type":\["container"\]\}&since=1\.000000001$/)
})

t.test('an Engine error keeps its status code for the adapter to read', async (t) => {
  const { api } = await engine(t)
  const err = await api.getContainer('gone').inspect().then(() => undefined, (e: unknown) => e)
  t.match(err, { statusCode: 404 })
})

t.test('an aborted call rejects', async (t) => {
  const { api } = await engine(t)
  const controller = new AbortController()
  controller.abort()
  await t.rejects(api.listContainers({ filters: {}, abortSignal: controller.signal }))
})
