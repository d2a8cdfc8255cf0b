// Check `proxy`: /healthz on the admin port answers 200.
import t from 'tap'
import { proxyCheck } from '../../../src/doctor/checks/proxy.ts'
import { hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { answers, doctorContext } from '../fixtures.ts'

const URL = 'http://127.0.0.1:8776/healthz'

t.test('200: ok', async (t) => {
  const probe = answers({ [URL]: { status: 200, body: '{"status":"ok"}' } })
  t.same(await proxyCheck.run(doctorContext(scratchDir(t), { probe })), { status: 'ok', detail: `the metadata proxy is healthy (${URL})` })
})

t.test("503: unhealthy, with the proxy's own reason", async (t) => {
  const probe = answers({ [URL]: { status: 503, body: '{"status":"unhealthy","indexReady":false}\n' } })
  const f = await proxyCheck.run(doctorContext(scratchDir(t), { probe }))
  t.match(f, { status: 'problems', problems: [{ problem: `the metadata proxy is unhealthy: ${URL} answered 503 {"status":"unhealthy","indexReady":false}`, fix: /journalctl -u bastion-metadataproxy/ }] })
})

t.test('no answer: not running, with the fix', async (t) => {
  const f = await proxyCheck.run(doctorContext(scratchDir(t)))
  t.match(f, { status: 'problems', problems: [{ problem: `the metadata proxy does not answer on ${URL} (ECONNREFUSED)`, fix: 'systemctl start bastion-metadataproxy, then see `journalctl -u bastion-metadataproxy`' }] })
  const bare = answers({})
  bare.get = async () => ({ error: 'socket hang up' })
  t.match(await proxyCheck.run(doctorContext(scratchDir(t), { probe: bare })), { problems: [{ problem: /\(socket hang up\)$/ }] })
})

t.test('an IPv6 admin host is bracketed; port 0 cannot be checked', async (t) => {
  const v6 = hostConfig('aws: { accountId: "123456789012" }\nmetadataproxy: { admin: { host: "::1", port: 9000 } }\n')
  const probe = answers({ 'http://[::1]:9000/healthz': { status: 200, body: '' } })
  t.equal((await proxyCheck.run(doctorContext(scratchDir(t), { config: v6, probe }))).status, 'ok')
  const zero = hostConfig('aws: { accountId: "123456789012" }\nmetadataproxy: { admin: { port: 0 } }\n')
  t.match(await proxyCheck.run(doctorContext(scratchDir(t), { config: zero })), { problems: [{ problem: /admin\.port is 0/, fix: /fixed port/ }] })
})
