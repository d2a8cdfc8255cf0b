// The admin listener: health and Prometheus metrics on loopback, out of the
// containers' reach.
import t from 'tap'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)
const box = await runBox(t, proxy, { user: 'ivan' })

t.test('/healthz says ok when the index follows Docker and the rules are in place', async (t) => {
  const r = await fetch(`${proxy.adminUrl}/healthz`)
  t.equal(r.status, 200)
  t.match(await r.json(), { status: 'ok', indexReady: true, iptablesOk: true })
})

t.test('/metrics counts requests and AssumeRole calls', async (t) => {
  await box.imds('/latest/meta-data/iam/security-credentials/ivan', { token: await box.token() })
  const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
  t.match(text, /bastion_imds_requests_total\{route="credentials",status="200"\} [1-9]/)
  t.match(text, /bastion_sts_assume_role_total\{outcome="ok"\} [1-9]/)
  t.match(text, /^bastion_index_containers 1$/m)
})

// 127.0.0.1 inside a container is the container's own loopback, so the probe goes to the
// host's addresses a container can route to: its gateway and every bridge of this host.
t.test("containers cannot reach the admin listener on any of the host's bridge addresses", async (t) => {
  const port = new URL(proxy.adminUrl).port
  const bridges = (await execa('ip', ['-4', '-o', 'addr', 'show', 'type', 'bridge'])).stdout
  const hosts = new Set([proxy.gateway, ...[...bridges.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] as string)])
  t.ok(hosts.size >= 2, `the gateway and docker0 at least: ${[...hosts].join(', ')}`)

  // The control: the same probe reaches the one host port a container may use, the
  // proxy's own, on the gateway (egress rules may close every other host port as well).
  const probe = (host: string, p: string | number, path = '/metrics') => box.exec(['curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${host}:${p}${path}`])
  t.equal((await probe(proxy.gateway, proxy.port, '/latest/meta-data/')).stdout, '401', 'control: the probe reaches the host through the gateway')

  for (const host of hosts) t.equal((await probe(host, port)).stdout, '000', `${host}:${port}`)
})
