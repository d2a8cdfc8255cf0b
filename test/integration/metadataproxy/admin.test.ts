// The admin listener: health and Prometheus metrics on loopback, out of the
// containers' reach.
import t from 'tap'
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

t.test('containers cannot reach the admin listener', async (t) => {
  const port = new URL(proxy.adminUrl).port
  for (const host of [proxy.gateway, '127.0.0.1']) {
    const r = await box.exec(['curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${host}:${port}/metrics`])
    t.equal(r.stdout, '000', `${host}:${port}`)
  }
})
