// The IMDS listener's connection bounds, on a real server on loopback: the caps at
// accept (per source, in all, with room kept for new sources) and the deadlines.
import t from 'tap'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { limitConnections, reserveOf, type ConnectionLimits } from '../../src/imds/connection-limits.ts'

const LIMITS: ConnectionLimits = { perSource: 4, total: 64, headersTimeoutMs: 600, requestTimeoutMs: 1200, idleTimeoutMs: 600 }

async function serve (t: { teardown (fn: () => unknown): void }, over: Partial<ConnectionLimits> = {}, handlerDelayMs = 0) {
  const refused: Array<{ reason: string, source: string }> = []
  const server: Server = createServer({ connectionsCheckingInterval: 100 }, (req, res) => {
    limited.request(req.socket)
    setTimeout(() => res.end('ok'), handlerDelayMs)
  })
  const limited = limitConnections(server, { ...LIMITS, ...over }, { refused: (reason, source) => refused.push({ reason, source }) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as AddressInfo).port
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.destroy() })
  // Opens a connection from `from` (any 127/8 address) and reports what became of it.
  const open = async (from = '127.0.0.1') => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from })
    sockets.push(s)
    const state = { closed: false, data: '' }
    s.on('data', (d) => { state.data += String(d) })
    s.on('close', () => { state.closed = true })
    s.on('error', () => {})
    await new Promise<void>((resolve) => s.once('connect', () => resolve()))
    return { s, state, closed: () => new Promise<void>((resolve) => { if (state.closed) resolve(); else s.once('close', () => resolve()) }) }
  }
  const get = async (c: Awaited<ReturnType<typeof open>>) => {
    c.s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    for (let i = 0; i < 1000 && !c.state.data.includes('ok') && !c.state.closed; i++) await new Promise((r) => setTimeout(r, 10))
    return c.state.data
  }
  return { open, get, refused, limited: () => limited }
}

t.test('reserveOf keeps an eighth of the total, at least 16, and never all of it', async (t) => {
  t.equal(reserveOf(4096), 512)
  t.equal(reserveOf(64), 16)
  t.equal(reserveOf(10), 9)
})

t.test('a source over its cap is closed at accept; its other connections and other sources are served', async (t) => {
  const { open, get, refused, limited } = await serve(t)
  const held = await Promise.all([1, 2, 3, 4].map(() => open()))
  const over = await open()
  await over.closed()
  t.equal(over.state.data, '', 'closed without a byte of answer')
  t.same(refused, [{ reason: 'per-source', source: '127.0.0.1' }])
  t.equal(limited().open(), 4)
  t.match(await get(held[0] as Awaited<ReturnType<typeof open>>), /200 OK/, 'the held ones are served')
  t.match(await get(await open('127.0.0.2')), /200 OK/, 'another source is served')
  ;(held[1] as Awaited<ReturnType<typeof open>>).s.destroy()
  for (let i = 0; i < 100 && limited().open() !== 4; i++) await new Promise((r) => setTimeout(r, 10))
  t.match(await get(await open()), /200 OK/, 'a closed connection frees its place')
})

t.test('the overall cap keeps its reserve for sources holding no connection yet', async (t) => {
  const { open, get, refused, limited } = await serve(t, { perSource: 1000, total: 64 })
  const flood = []
  for (let i = 0; i < 48; i++) flood.push(await open('127.0.0.3'))
  const over = await open('127.0.0.3')
  await over.closed()
  t.same(refused, [{ reason: 'total', source: '127.0.0.3' }], 'the flooding source stops at total minus the reserve')
  const fresh = await open('127.0.0.4')
  t.match(await get(fresh), /200 OK/, 'a new source gets into the reserve')
  for (let i = 0; i < 15; i++) await open(`127.0.1.${i + 1}`)
  t.equal(limited().open(), 64)
  const last = await open('127.0.2.1')
  await last.closed()
  t.equal(refused.at(-1)?.reason, 'total', 'nothing beyond the total')
})

t.test('a connection that sends nothing is closed after headersTimeoutMs', async (t) => {
  const { open } = await serve(t)
  const c = await open()
  await c.closed()
  // Closed by our silence deadline, or by Node's own header deadline when it checks first.
  t.match(c.state.data, /^(|HTTP\/1\.1 408 [^]*)$/, 'closed, with nothing or a 408')
})

t.test('headers sent a byte at a time are cut off with 408', async (t) => {
  const { open } = await serve(t)
  const c = await open()
  const line = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000)
  let i = 0
  const drip = setInterval(() => { if (!c.state.closed) c.s.write(line[i++ % line.length] as string) }, 50)
  t.teardown(() => clearInterval(drip))
  await c.closed()
  t.match(c.state.data, /^HTTP\/1.1 408/)
})

t.test('an idle keep-alive connection is closed; a request waiting on its answer is not', async (t) => {
  const { open, get } = await serve(t, {}, 1500)
  const c = await open()
  t.match(await get(c), /200 OK/, 'answered after longer than every deadline')
  await c.closed()
  t.pass('then closed once idle')
})
