// The account's IAM group quota: a plan that would pass it sets up no new scope at all,
// and says how to get room; the rest of the plan goes ahead.
import t from 'tap'
import { world, ops } from '../fixtures/world.ts'

t.test('within the quota: the quota is read only when groups are to be made', async (t) => {
  const w = world()
  w.iam.groupsQuota = 3
  let r = await w.sync()
  t.ok(r.ok)
  t.equal(w.iam.groups.size, 3, 'exactly the quota is fine')
  t.ok(w.iam.calls.includes('groupQuota'))
  w.iam.calls.length = 0
  r = await w.sync()
  t.same(r.actions, [])
  t.notOk(w.iam.calls.includes('groupQuota'), 'a converged run does not ask')
})

t.test('past the quota: no new scope is set up, not even in part, and the leavers still lose access', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus')
  await w.sync()
  w.iam.groups.get('k8s-user@hyades')!.members.add('carol').add('dave')
  await w.sync()
  w.iam.groups.get('k8s-user@hyades')!.members.delete('dave')
  w.iam.otherGroups = 292
  w.kube.namespaces.push('orion', 'lyra')
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_GROUP_QUOTA', subject: 'iam', message: /the plan creates 6 IAM group\(s\) and the account has 298 of the 300 IAM allows: no new scope was set up \(hyades@lyra, hyades@orion\)\. Ask AWS to raise the quota .* or narrow rbacsync\.clusters\.<name>\.includeNamespaces/ }])
  t.notOk(ops(r).includes('createGroup'))
  t.notOk([...w.kube.objects.values()].some((o) => /@hyades@(orion|lyra)$/.test(o.metadata.name ?? '')), 'no Role or binding of those scopes either')
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.subjects?.map((s) => s.name), ['carol'], 'the rest of the plan went ahead')
  t.notOk(w.iam.roles.has('dave'))
})

t.test('a quota that cannot be read counts as no room', async (t) => {
  const w = world()
  w.iam.failures.set('groupQuota', Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_GROUP_QUOTA', message: /could not be read \(GetAccountSummary: AccessDenied: not authorized\): no new scope was set up \(hyades\)/ }])
  t.equal(w.iam.groups.size, 0)
  t.equal(w.kube.objects.size, 0)
})
