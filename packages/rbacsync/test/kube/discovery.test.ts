// API discovery: aggregated (two calls), the legacy walk, and stale group versions.
import t from 'tap'
import { scripted } from '../fixtures/transport.ts'
import { discover, DiscoveryIncomplete } from '../../src/kube/discovery.ts'

const aggregated = (items: unknown[]) => ({ status: 200, body: { kind: 'APIGroupDiscoveryList', items } })

t.test('aggregated discovery: resources and subresources with their scope and verbs, CRDs included, in two calls', async (t) => {
  const { http, sent } = scripted({
    'GET /api': aggregated([{ metadata: {}, versions: [{ version: 'v1', resources: [{ resource: 'pods', scope: 'Namespaced', verbs: ['get', 'list'], subresources: [{ subresource: 'exec', verbs: ['create', 'get'] }, {}] }, { resource: 'nodes', scope: 'Cluster', verbs: ['get'] }, {}] }] }]),
    'GET /apis': aggregated([
      { metadata: { name: 'apps' }, versions: [{ version: 'v1', resources: [{ resource: 'deployments', scope: 'Namespaced', verbs: ['get'] }] }, { version: 'v1beta1', resources: [{ resource: 'deployments', scope: 'Namespaced', verbs: ['watch'] }] }] },
      { metadata: { name: 'stable.example.com' }, versions: [{ version: 'v1', freshness: 'Current', resources: [{ resource: 'crontabs', scope: 'Namespaced' }] }] },
      {}
    ])
  })
  t.same(await discover(http), [
    { group: '', resource: 'nodes', namespaced: false, verbs: ['get'] },
    { group: '', resource: 'pods', namespaced: true, verbs: ['get', 'list'] },
    { group: '', resource: 'pods/exec', namespaced: true, verbs: ['create', 'get'] },
    { group: 'apps', resource: 'deployments', namespaced: true, verbs: ['get', 'watch'] },
    { group: 'stable.example.com', resource: 'crontabs', namespaced: true, verbs: [] }
  ])
  t.equal(sent.length, 2)
  t.match(sent[0]!.accept, /as=APIGroupDiscoveryList/)
})

t.test('a stale group version fails discovery: its resources would drop out of the tiers', async (t) => {
  const { http } = scripted({
    'GET /api': aggregated([]),
    'GET /apis': aggregated([{ metadata: { name: 'metrics.k8s.io' }, versions: [{ version: 'v1beta1', freshness: 'Stale' }] }])
  })
  await t.rejects(discover(http), { message: 'discovery of metrics.k8s.io/v1beta1 is stale: its API service is unavailable' })
  const core = scripted({ 'GET /api': aggregated([{ versions: [{ freshness: 'Stale' }] }]), 'GET /apis': aggregated([]) })
  await t.rejects(discover(core.http), { message: /discovery of core\/\? is stale/ })
})

t.test('a server without aggregated discovery is walked group version by group version', async (t) => {
  const { http, sent } = scripted({
    'GET /api': { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } },
    'GET /api/v1': { status: 200, body: { resources: [{ name: 'pods', namespaced: true, verbs: ['get'] }, { name: 'pods/exec', namespaced: true, verbs: ['create'] }, {}] } },
    'GET /apis': { status: 200, body: { groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1' }, {}] }, {}] } },
    'GET /apis/apps/v1': { status: 200, body: { resources: [{ name: 'deployments', verbs: ['list'] }] } }
  })
  t.same(await discover(http), [
    { group: '', resource: 'pods', namespaced: true, verbs: ['get'] },
    { group: '', resource: 'pods/exec', namespaced: true, verbs: ['create'] },
    { group: 'apps', resource: 'deployments', namespaced: false, verbs: ['list'] }
  ])
  t.same(sent.map((s) => s.path), ['/api', '/apis', '/api/v1', '/apis/apps/v1'])
  const empty = scripted({ 'GET /api': { status: 200, body: undefined }, 'GET /apis': { status: 200, body: undefined }, 'GET /api/v1': { status: 200, body: undefined } })
  t.same(await discover(empty.http), [], 'empty answers give no resources')
})

t.test('a failed discovery call fails discovery', async (t) => {
  const { http } = scripted({ 'GET /api': aggregated([]), 'GET /apis': { status: 503, body: { message: 'service unavailable' } } })
  await t.rejects(discover(http), { message: 'GET /apis: 503 service unavailable' })
  const odd = scripted({ 'GET /api': aggregated([]), 'GET /apis': { status: 200, body: { groups: [] } } })
  await t.rejects(discover(odd.http), { message: /aggregated discovery but not \/apis/ })
})

t.test('discovery that misses some groups says which, and carries what it did find', async (t) => {
  const { http } = scripted({
    'GET /api': aggregated([{ metadata: {}, versions: [{ version: 'v1', resources: [{ resource: 'pods', scope: 'Namespaced', verbs: ['get'] }] }] }]),
    'GET /apis': aggregated([{ metadata: { name: 'metrics.k8s.io' }, versions: [{ version: 'v1beta1', freshness: 'Stale' }] }])
  })
  const err = await discover(http).catch((e: unknown) => e)
  t.type(err, DiscoveryIncomplete)
  t.match(err, { missing: ['metrics.k8s.io/v1beta1'], resources: [{ group: '', resource: 'pods', namespaced: true, verbs: ['get'] }] })
  const walk = scripted({
    'GET /api': { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } },
    'GET /api/v1': { status: 503, body: { message: 'down' } },
    'GET /apis': { status: 200, body: { groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1' }] }, { name: 'x.io', versions: [{ groupVersion: 'x.io/v1' }] }] } },
    'GET /apis/apps/v1': { status: 200, body: { resources: [{ name: 'deployments', namespaced: true, verbs: ['list'] }] } },
    'GET /apis/x.io/v1': { status: 503, body: { message: 'service unavailable' } }
  })
  const legacyErr = await discover(walk.http).catch((e: unknown) => e)
  t.match(legacyErr, { name: 'DiscoveryIncomplete', missing: ['core/v1', 'x.io/v1'], resources: [{ group: 'apps', resource: 'deployments' }], message: /GET \/apis\/x\.io\/v1: 503 service unavailable/ })
})
