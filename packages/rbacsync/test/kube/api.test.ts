// The KubePort adapter: list pagination, paths, preconditions, ConfigMaps.
import t from 'tap'
import { scripted } from '../fixtures/transport.ts'
import { isConflict, kubeApi } from '../../src/kube/api.ts'
import { KubeApiError } from '../../src/kube/http.ts'

t.test('lists page with limit and continue until the server stops giving a token', async (t) => {
  const { http, sent } = scripted({
    'GET /apis/rbac.authorization.k8s.io/v1/roles?limit=2': { status: 200, body: { items: [{ metadata: { name: 'a', namespace: 'n' } }], metadata: { continue: 'tok' } } },
    'GET /apis/rbac.authorization.k8s.io/v1/roles?limit=2&continue=tok': { status: 200, body: { items: [{ metadata: { name: 'b', namespace: 'n' } }], metadata: { continue: '' } } }
  })
  t.same(await kubeApi(http, 2).list('Role'), [{ metadata: { name: 'a', namespace: 'n' }, kind: 'Role' }, { metadata: { name: 'b', namespace: 'n' }, kind: 'Role' }])
  t.same(sent.map((s) => s.api), ['list roles', 'list roles'])
})

t.test('a page that fails (an expired continue token) fails the whole list', async (t) => {
  const { http } = scripted({
    'GET /apis/rbac.authorization.k8s.io/v1/clusterroles?limit=1': { status: 200, body: { items: [{}], metadata: { continue: 'old' } } },
    'GET /apis/rbac.authorization.k8s.io/v1/clusterroles?limit=1&continue=old': { status: 410, body: { message: 'The provided continue parameter is too old', reason: 'Expired' } }
  })
  await t.rejects(kubeApi(http, 1).list('ClusterRole'), { status: 410, message: /continue=old: 410 The provided continue parameter is too old/ })
})

t.test('namespaces being deleted are not listed', async (t) => {
  const { http } = scripted({
    'GET /api/v1/namespaces?limit=500': { status: 200, body: { items: [{ metadata: { name: 'b', uid: 'u-b', creationTimestamp: '2026-01-01T00:00:00Z' } }, { metadata: { name: 'a', uid: 'u-a' }, status: { phase: 'Active' } }, { metadata: { name: 'c' }, status: { phase: 'Terminating' } }, { metadata: { name: 'a0' } }, {}] } }
  })
  t.same(await kubeApi(http, 500).listNamespaces(), [{ name: 'a', uid: 'u-a' }, { name: 'a0', uid: '' }, { name: 'b', uid: 'u-b', created: '2026-01-01T00:00:00Z' }], 'sorted by name, each with its uid (and when it was made)')
})

t.test('writes: create to the collection, update and delete by name with resourceVersion and uid preconditions', async (t) => {
  const ok = { status: 200, body: {} }
  const { http, sent } = scripted({
    'POST /apis/rbac.authorization.k8s.io/v1/namespaces/taurus/rolebindings': ok,
    'PUT /apis/rbac.authorization.k8s.io/v1/clusterroles/k8s-admin%40hyades': ok,
    'DELETE /apis/rbac.authorization.k8s.io/v1/namespaces/taurus/roles/k8s-user%40hyades%40taurus': ok
  })
  const api = kubeApi(http, 500)
  await api.create({ kind: 'RoleBinding', metadata: { name: 'k8s-user@hyades@taurus', namespace: 'taurus' } })
  await api.replace({ kind: 'ClusterRole', metadata: { name: 'k8s-admin@hyades', resourceVersion: '7' }, rules: [] })
  await api.remove({ kind: 'Role', metadata: { name: 'k8s-user@hyades@taurus', namespace: 'taurus', uid: 'u1', resourceVersion: '9' } })
  t.same(sent.map((s) => s.body), [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'k8s-user@hyades@taurus', namespace: 'taurus' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'k8s-admin@hyades', resourceVersion: '7' }, rules: [] },
    { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'u1', resourceVersion: '9' } }
  ])
  t.same(sent.map((s) => s.api), ['create rolebindings', 'update clusterroles', 'delete roles'])
})

t.test('ConfigMaps: a missing one is undefined; written by POST when new, by PUT otherwise', async (t) => {
  const { http, sent } = scripted({
    'GET /api/v1/namespaces/kube-system/configmaps/aws-auth': { status: 200, body: { metadata: { name: 'aws-auth', resourceVersion: '3' } } },
    'POST /api/v1/namespaces/kube-system/configmaps': { status: 201, body: {} },
    'PUT /api/v1/namespaces/kube-system/configmaps/aws-auth': { status: 409, body: { message: 'conflict', reason: 'Conflict' } },
    'GET /api/v1/namespaces/kube-system/configmaps/broken': { status: 500, body: { message: 'etcd down' } }
  })
  const api = kubeApi(http, 500)
  t.same(await api.getConfigMap('kube-system', 'aws-auth'), { metadata: { name: 'aws-auth', resourceVersion: '3' } })
  t.equal(await api.getConfigMap('kube-system', 'other'), undefined)
  await t.rejects(api.getConfigMap('kube-system', 'broken'), { status: 500, message: /etcd down/ }, 'only a 404 means absent')
  await api.writeConfigMap({ metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: {} })
  const err = await api.writeConfigMap({ metadata: { name: 'aws-auth', namespace: 'kube-system', resourceVersion: '3' } }).catch((e: unknown) => e)
  t.ok(isConflict(err))
  t.notOk(isConflict(new KubeApiError(sent[0]!, 404, 'NotFound', 'x')))
  t.notOk(isConflict(new Error('409')))
  t.same(sent.at(-2)?.body, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: {} })
  await t.rejects(api.writeConfigMap({ metadata: { name: 'x' } }), { status: 404, message: /POST \/api\/v1\/namespaces\/default\/configmaps: 404/ }, 'the default namespace when none is given')
})

t.test('discover goes through the same transport', async (t) => {
  const { http } = scripted({ 'GET /api': { status: 200, body: { kind: 'APIGroupDiscoveryList', items: [] } }, 'GET /apis': { status: 200, body: { kind: 'APIGroupDiscoveryList', items: [] } } })
  t.same(await kubeApi(http, 1).discover(), [])
})
