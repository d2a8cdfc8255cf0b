// The login's Docker client against a stand-in engine on a unix socket: what each call
// sends, how Docker's errors arrive (statusCode and message), the upgraded exec stream,
// and that no call can hang. The real engine is exercised by /test/integration/shell.
import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EngineError, httpEngine } from '../../src/docker/engine.ts'

interface Seen { method: string, url: string, body: string }

// A unix socket path must stay under 108 bytes, which tap's fixture paths exceed.
function shortDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function engineServer (t: Test, handle: (req: IncomingMessage, res: ServerResponse, body: string) => void, upgrade?: (req: IncomingMessage, socket: Socket, body: Buffer) => void): Promise<{ socketPath: string, seen: Seen[] }> {
  const socketPath = join(shortDir(t), 'docker.sock')
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      handle(req, res, body)
    })
  })
  if (upgrade !== undefined) server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => upgrade(req, socket, head))
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { socketPath, seen }
}

const json = (res: ServerResponse, status: number, value: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

t.test('calls go to the engine API paths with JSON bodies, and JSON answers come back parsed', async (t) => {
  const { socketPath, seen } = await engineServer(t, (req, res) => {
    if (req.url === '/_ping') { res.writeHead(200, { 'content-type': 'text/plain' }).end('OK'); return }
    if (req.url?.startsWith('/containers/create')) { json(res, 201, { Id: 'c1' }); return }
    if (req.url === '/containers/c1/exec') { json(res, 201, { Id: 'e1' }); return }
    if (req.url === '/exec/e1/json') { json(res, 200, { Running: false, ExitCode: 42, Pid: 7 }); return }
    if (req.url?.startsWith('/containers/json')) { json(res, 200, [{ Id: 'c1', Names: ['/shell-a'], Labels: {} }]); return }
    res.writeHead(204).end()
  })
  const docker = httpEngine(socketPath)
  await docker.ping()
  t.same(await docker.createContainer({ name: 'shell-a b', Image: 'img' }), { id: 'c1' })
  const exec = await docker.getContainer('c1').exec({ Cmd: ['true'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, Env: [], User: '1:1', WorkingDir: '/' })
  t.same(await exec.inspect(), { Running: false, ExitCode: 42, Pid: 7 })
  await exec.resize({ h: 24, w: 80 })
  await docker.getContainer('c1').start()
  await docker.getContainer('c1').remove({ force: true })
  t.same(await docker.listContainers({ all: true, filters: { label: ['bastion.user'] } }), [{ Id: 'c1', Names: ['/shell-a'], Labels: {} }])
  t.same(seen.map((s) => `${s.method} ${s.url}`), [
    'GET /_ping',
    'POST /containers/create?name=shell-a%20b',
    'POST /containers/c1/exec',
    'GET /exec/e1/json',
    'POST /exec/e1/resize?h=24&w=80',
    'POST /containers/c1/start',
    'DELETE /containers/c1?force=true',
    `GET /containers/json?all=true&filters=${encodeURIComponent('{"label":["bastion.user"]}')}`
  ])
  t.same(JSON.parse(seen[1]?.body ?? ''), { Image: 'img' }, 'the name travels in the query, not the body')
  t.same(JSON.parse(seen[2]?.body ?? '').Cmd, ['true'])
})

t.test("Docker's errors keep their status and message, as dockerode's do", async (t) => {
  const { socketPath } = await engineServer(t, (req, res) => {
    if (req.url === '/images/missing%3A1/json') json(res, 404, { message: 'No such image: missing:1' })
    else if (req.url === '/containers/x/start') res.writeHead(304).end()
    else res.writeHead(500, { 'content-type': 'text/plain' }).end('boom')
  })
  const docker = httpEngine(socketPath)
  const missing = await docker.getImage('missing:1').inspect().then(() => undefined, (e: unknown) => e)
  t.ok(missing instanceof EngineError)
  t.match(missing, { statusCode: 404, message: /No such image: missing:1/ })
  t.match(await docker.getContainer('x').start().then(() => undefined, (e: unknown) => e), { statusCode: 304 })
  t.match(await docker.getContainer('y').inspect().then(() => undefined, (e: unknown) => e), { statusCode: 500, message: /boom/ })
})

t.test('an answer that claims JSON but is not is an error, not a crash', async (t) => {
  const { socketPath } = await engineServer(t, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{oops') })
  const err = await httpEngine(socketPath).getContainer('c').inspect().then(() => undefined, (e: unknown) => e)
  t.match(err, { name: 'EngineError', message: /JSON we cannot read/ })
})

t.test('no socket: the error says so (the login turns it into "Docker is down")', async (t) => {
  const err = await httpEngine(join(shortDir(t), 'none.sock')).ping().then(() => undefined, (e: unknown) => e)
  t.match(err, { code: 'ENOENT' })
})

t.test('an engine that never answers times out instead of hanging the login', async (t) => {
  const { socketPath } = await engineServer(t, () => { /* never answers */ })
  const err = await httpEngine(socketPath, 200).getContainer('c').inspect().then(() => undefined, (e: unknown) => e)
  t.match(err, { message: /no answer from Docker in 200 ms/ })
})

t.test('exec start upgrades to a raw two-way stream, bytes that came with the answer included', async (t) => {
  let request = ''
  const { socketPath } = await engineServer(t, (_req, res) => { res.writeHead(500).end() }, (req, socket) => {
    t.equal(req.headers.upgrade, 'tcp')
    request = `${req.method ?? ''} ${req.url ?? ''}`
    // The answer's headers and the first output in one write, as Docker may send them.
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello ')
    const input: Buffer[] = []
    socket.on('data', (c: Buffer) => input.push(c))
    // Our half-close reaches the engine as EOF, and its output still flows back.
    socket.on('end', () => { socket.end(`got ${Buffer.concat(input).toString('utf8')}`) })
  })
  const stream = await httpEngine(socketPath).getExec('e9').start({ hijack: true, stdin: true, Tty: true })
  const out: Buffer[] = []
  stream.on('data', (c: Buffer) => out.push(c))
  const ended = new Promise<void>((resolve) => stream.on('end', resolve))
  stream.end('input')
  await ended
  t.equal(Buffer.concat(out).toString('utf8'), 'hello got input')
  t.equal(request, 'POST /exec/e9/start')
})

t.test('exec start answered without an upgrade is an error with the status', async (t) => {
  const { socketPath, seen } = await engineServer(t, (_req, res) => json(res, 404, { message: 'No such exec instance: e0' }))
  const err = await httpEngine(socketPath).getExec('e0').start({ hijack: true, stdin: true, Tty: false }).then(() => undefined, (e: unknown) => e)
  t.match(err, { statusCode: 404, message: /No such exec instance: e0/ })
  t.same(JSON.parse(seen[0]?.body ?? ''), { Detach: false, Tty: false })
})
