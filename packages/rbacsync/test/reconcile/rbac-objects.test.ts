// Desired roles and bindings, comparing and merging with what exists.
import t from 'tap'
import { desiredBinding, desiredRole, merged, sameRoleRef, upToDate, userSubjects } from '../../src/reconcile/rbac-objects.ts'

const rules = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]

t.test('a ClusterRole or Role named like the group, marked ours; bindings point at it', async (t) => {
  t.same(desiredRole({ tier: 'user', cluster: 'h' }, rules), { kind: 'ClusterRole', metadata: { name: 'k8s-user@h', labels: { 'app.kubernetes.io/managed-by': 'bastion-rbacsync' }, annotations: { 'bastion/iam-group': 'k8s-user@h' } }, rules })
  const b = desiredBinding({ tier: 'admin', cluster: 'h', namespace: 'n' }, userSubjects(['b', 'a', 'b']))
  t.equal(b.kind, 'RoleBinding')
  t.same(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'k8s-admin@h@n' })
  t.same(b.subjects?.map((s) => s.name), ['a', 'b'])
})

t.test('up to date: our labels and annotations present, same rules (empty lists aside), same subjects in any order', async (t) => {
  const want = desiredRole({ tier: 'user', cluster: 'h' }, rules)
  t.ok(upToDate({ ...want, metadata: { ...want.metadata, labels: { ...want.metadata.labels, other: 'x' } }, rules: [{ ...rules[0]!, resourceNames: [] } as never] }, want))
  t.notOk(upToDate({ ...want, rules: [] }, want))
  t.notOk(upToDate({ ...want, metadata: { name: 'k8s-user@h' } }, want))
  t.notOk(upToDate({ ...want, metadata: { ...want.metadata, annotations: {} } }, want))
  const b = desiredBinding({ tier: 'user', cluster: 'h' }, userSubjects(['a', 'b']))
  t.ok(upToDate({ ...b, subjects: [...b.subjects!].reverse() }, b))
  t.notOk(upToDate({ ...b, subjects: [] }, b))
  t.ok(upToDate({ ...b, subjects: undefined as never }, desiredBinding({ tier: 'user', cluster: 'h' }, [])))
  t.ok(upToDate({ kind: 'ClusterRole', metadata: want.metadata }, desiredRole({ tier: 'user', cluster: 'h' }, [])), 'no rules is the same as none')
})

t.test('merged keeps every field and label of the existing object and sets ours', async (t) => {
  const want = desiredRole({ tier: 'user', cluster: 'h' }, rules)
  const existing = { kind: 'ClusterRole' as const, metadata: { name: 'k8s-user@h', resourceVersion: '9', labels: { other: 'x' }, finalizers: ['f'] } as never, rules: [] }
  const m = merged(existing, want)
  t.match(m.metadata, { resourceVersion: '9', labels: { other: 'x', 'app.kubernetes.io/managed-by': 'bastion-rbacsync' }, annotations: { 'bastion/iam-group': 'k8s-user@h' }, finalizers: ['f'] })
  t.same(m.rules, rules)
  const b = desiredBinding({ tier: 'user', cluster: 'h' }, userSubjects(['a']))
  t.same(merged({ ...b, metadata: {}, subjects: [] }, b).subjects, b.subjects)
})

t.test('roleRef equality', async (t) => {
  const b = desiredBinding({ tier: 'user', cluster: 'h' }, [])
  t.ok(sameRoleRef(b, b))
  t.notOk(sameRoleRef({ ...b, roleRef: { ...b.roleRef!, name: 'view' } }, b))
  t.notOk(sameRoleRef({ ...b, roleRef: undefined as never }, b))
})

t.test('an aggregationRule on our ClusterRole is drift, and merging strips it', async (t) => {
  const want = desiredRole({ tier: 'user', cluster: 'h' }, rules)
  const aggregated = { ...want, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { grab: 'me' } }] } }
  t.notOk(upToDate(aggregated, want))
  t.ok(upToDate({ ...want, aggregationRule: null }, want), 'the API server\'s null is none')
  const m = merged(aggregated, want)
  t.notOk('aggregationRule' in m)
  t.same(m.rules, rules)
})
