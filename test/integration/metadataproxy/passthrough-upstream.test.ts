// The passthrough against a host IMDS this test steers (a server on loopback): one
// upstream fetch per path however many containers ask at once, and a redirect from the
// host IMDS is never followed, so it cannot lead a container's request off the allowlist.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const SECRET = 'upstream-secret-that-must-not-leak'
let release: () => void = () => {}
const held = new Promise<void>((resolve) => { release = resolve })
const gets = new Map<string, number>()
const upstream = createServer((req, res) => {
  const url = req.url ?? ''
  if (req.method === 'PUT' && url === '/latest/api/token') { res.end('host-token'); return }
  gets.set(url, (gets.get(url) ?? 0) + 1)
  if (url === '/latest/meta-data/instance-id') { void held.then(() => res.end('i-0123456789abcdef0')); return }
  if (url === '/latest/meta-data/instance-type') { res.writeHead(302, { location: '/latest/meta-data/iam/security-credentials/host-role' }).end(); return }
  if (url === '/latest/meta-data/iam/security-credentials/host-role') { res.end(SECRET); return }
  res.writeHead(404).end()
})
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
t.teardown(() => { release(); upstream.closeAllConnections(); upstream.close() })

const proxy = await startProxy(t, { passthrough: { upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, timeoutMs: 20_000 } })
const box = await runBox(t, proxy, { user: 'petra' })
const token = await box.token()

t.test('ten concurrent requests for one path make one upstream fetch', async (t) => {
  const script = `for i in $(seq 10); do curl -s --max-time 20 -o /dev/null -w '%{http_code}\\n' -H 'X-aws-ec2-metadata-token: ${token}' http://169.254.169.254/latest/meta-data/instance-id & done; wait`
  const run = box.exec(['sh', '-c', script])
  // Give the ten requests time to reach the proxy while upstream holds its answer; any
  // that come later are cache hits, so this wait cannot make the count below pass.
  for (let i = 0; i < 30 && (gets.get('/latest/meta-data/instance-id') ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100))
  await new Promise((r) => setTimeout(r, 2000))
  release()
  const r = await run
  t.same(r.stdout.trim().split('\n'), Array(10).fill('200'))
  t.equal(gets.get('/latest/meta-data/instance-id'), 1, 'one upstream GET for all ten')
})

t.test('a redirect from the host IMDS is not followed', async (t) => {
  const r = await box.imds('/latest/meta-data/instance-type', { token })
  t.equal(r.status, 502)
  t.notMatch(r.body, SECRET)
  t.equal(gets.get('/latest/meta-data/iam/security-credentials/host-role'), undefined, 'the redirect target was never asked')
})
