// The Docker probe against a fake Engine on a unix socket: ping, an image that is there,
// one that is not, and an Engine that fails.
import t from 'tap'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { dockerProbe } from '../../src/setup/docker.ts'
import { scratchDir } from './fixtures.ts'

t.test('ping and image lookups', async (t) => {
  const socket = join(scratchDir(t), 'docker.sock')
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    res.setHeader('content-type', 'application/json')
    if (req.url === '/_ping') return res.end('OK')
    if (req.url === '/images/bastion/toolbox:1/json') return res.end('{"Id":"sha256:abc"}')
    if (req.url === '/images/noid:1/json') return res.end('{}')
    if (req.url === '/images/broken:1/json') { res.statusCode = 500; return res.end('{"message":"boom"}') }
    res.statusCode = 404
    res.end('{"message":"No such image"}')
  })
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const probe = dockerProbe(socket)
  await probe.ping()
  t.equal(await probe.imageId('bastion/toolbox:1'), 'sha256:abc')
  t.equal(await probe.imageId('noid:1'), 'noid:1', 'an answer without an id still means present')
  t.equal(await probe.imageId('missing:1'), undefined)
  await t.rejects(probe.imageId('broken:1'), /server error/)
  await t.rejects(probe.imageId('bad ref'), /is not an image reference/)
  t.notOk(paths.some((p) => p.includes('bad')), 'a bad reference never reaches the Engine')
})

t.test('no Engine on the socket: ping fails', async (t) => {
  await t.rejects(dockerProbe(join(scratchDir(t), 'none.sock'), 500).ping())
})
