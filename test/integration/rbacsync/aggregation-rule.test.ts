// Our ClusterRoles never aggregate: an aggregationRule put on one (by hand, or by anyone
// who may update ClusterRoles) would let every ClusterRole with matching labels pour
// its rules into the tier. The next run takes it off, on the real API server.
import t from 'tap'
import { sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const PATH = '/apis/rbac.authorization.k8s.io/v1/clusterroles/k8s-user%40auriga'
type ClusterRole = { aggregationRule?: unknown, rules?: unknown[], metadata: Record<string, unknown> }

t.test('an aggregationRule on our ClusterRole is stripped', async (t) => {
  const s = await sandbox('210000000012')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const config = writeConfig(t.testdir({}), s, { cluster: 'auriga', kubeconfig: s.kubeconfig, namespaces: [] })
  t.ok((await sync(config)).ok)
  const ours = await s.kube.get(PATH) as ClusterRole
  await s.kube.put(PATH, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', ...ours, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-user': 'true' } }] } })
  t.ok((await s.kube.get(PATH) as ClusterRole).aggregationRule, 'the API server took it')

  const r = await sync(config)
  t.ok(r.ok, JSON.stringify(r.problems))
  t.match(r.actions, [{ op: 'replaceObject', object: { kind: 'ClusterRole', metadata: { name: 'k8s-user@auriga' } } }])
  const after = await s.kube.get(PATH) as ClusterRole
  t.equal(after.aggregationRule, undefined)
  t.same(after.rules, ours.rules, 'the tier\'s own rules are back')
  t.equal((await sync(config)).writes, 0, 'and that is converged')
})
