// The admin listener: health for systemd and monitoring, and Prometheus metrics.
import t from 'tap'
import { buildAdminApp, type Health } from '../../src/admin/app.ts'
import { createMetrics } from '../../src/admin/metrics.ts'
import { silentLogger } from '../fixtures/log.ts'

function setup (t: { teardown: (fn: () => unknown) => unknown }) {
  const state = { health: { indexReady: true, iptablesOk: true } as Health, containers: 3, cacheEntries: 2, repairs: 0 }
  const metrics = createMetrics({
    containers: () => state.containers,
    indexReady: () => state.health.indexReady,
    cacheEntries: () => state.cacheEntries,
    iptablesOk: () => state.health.iptablesOk,
    iptablesRepairs: () => state.repairs
  })
  const app = buildAdminApp({ log: silentLogger(), metrics, health: () => state.health })
  t.teardown(() => app.close())
  return { app, metrics, state }
}

t.test('/healthz is 200 when the index is ready and iptables is in place', async (t) => {
  const { app } = setup(t)
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok', indexReady: true, iptablesOk: true })
})

t.test('/healthz is 503 when the index is not ready', async (t) => {
  const { app, state } = setup(t)
  state.health = { indexReady: false, iptablesOk: true }
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'unhealthy', indexReady: false, iptablesOk: true })
})

t.test('/healthz is 503 when the iptables rules are missing', async (t) => {
  const { app, state } = setup(t)
  state.health = { indexReady: true, iptablesOk: false }
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'unhealthy', indexReady: true, iptablesOk: false })
})

t.test('/healthz names the iptables drift while there is any', async (t) => {
  const { app, state } = setup(t)
  state.health = { indexReady: true, iptablesOk: false, iptablesDrift: ['nat PREROUTING: traffic from bastion0 jumps to BASTION-IMDS'] }
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'unhealthy', indexReady: true, iptablesOk: false, iptablesDrift: ['nat PREROUTING: traffic from bastion0 jumps to BASTION-IMDS'] })
})

t.test('/healthz is asked afresh on every request', async (t) => {
  const { app, state } = setup(t)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  state.health = { indexReady: false, iptablesOk: false }
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 503)
})

t.test('/metrics exposes request counts and the gauges in Prometheus text format', async (t) => {
  const { app, metrics, state } = setup(t)
  metrics.countRequest('credentials', 200)
  metrics.countRequest('credentials', 200)
  metrics.countRequest('unknown-caller', 404)
  metrics.assumeRole.inc({ outcome: 'ok' })
  metrics.assumeRoleSeconds.observe({ outcome: 'ok' }, 0.2)
  state.health = { indexReady: false, iptablesOk: true }
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const body = res.body
  t.match(body, /^bastion_imds_requests_total\{route="credentials",status="200"\} 2$/m)
  t.match(body, /^bastion_imds_requests_total\{route="unknown-caller",status="404"\} 1$/m)
  t.match(body, /^bastion_sts_assume_role_total\{outcome="ok"\} 1$/m)
  t.match(body, /^bastion_sts_assume_role_seconds_bucket\{le="0.25",outcome="ok"\} 1$/m)
  t.match(body, /^bastion_index_containers 3$/m)
  t.match(body, /^bastion_index_ready 0$/m)
  t.match(body, /^bastion_credential_cache_entries 2$/m)
  t.match(body, /^bastion_iptables_ok 1$/m)
  t.match(body, /^bastion_iptables_repairs_total 0$/m)
  state.repairs = 2
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^bastion_iptables_repairs_total 2$/m)
  t.match(body, /^process_cpu_user_seconds_total /m, 'default process metrics')
})

t.test('two metric sets do not share a registry', async (t) => {
  const a = setup(t)
  const b = setup(t)
  a.metrics.countRequest('token', 200)
  const res = await b.app.inject({ method: 'GET', url: '/metrics' })
  t.notMatch(res.body, /route="token"/)
})

t.test('other admin paths are 404', async (t) => {
  const { app } = setup(t)
  t.equal((await app.inject({ method: 'GET', url: '/latest/meta-data/' })).statusCode, 404)
})

t.test('/process names the account the proxy runs as, for doctor', async (t) => {
  const { app } = setup(t)
  const res = await app.inject({ method: 'GET', url: '/process' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.(), groups: process.getgroups?.() })
})
