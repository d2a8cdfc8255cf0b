// A namespace deleted and made again under the same name: its groups' members are not
// granted there again without a decision, whether our objects lingered (a server
// without a namespace controller) or went with the namespace (EKS).
import t from 'tap'
import { world } from '../fixtures/world.ts'
import { NAMESPACE_UID_ANNOTATION } from '../../src/model/marks.ts'

const grown = async () => {
  const w = world()
  w.kube.namespaces.push('taurus')
  await w.sync()
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.add('pocahontas')
  w.iam.groups.get('k8s-user@hyades@taurus')!.members.add('gina')
  w.iam.groups.get('k8s-user@hyades')!.members.add('carol')
  await w.sync()
  return w
}
const subjects = (w: Awaited<ReturnType<typeof grown>>, tier: string): string[] | undefined => w.kube.get('RoleBinding', `k8s-${tier}@hyades@taurus`, 'taurus')?.subjects?.map((s) => s.name)
const mapped = (w: Awaited<ReturnType<typeof grown>>): string => w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles ?? ''

t.test('our Role and RoleBinding record the uid of the namespace they were made for', async (t) => {
  const w = await grown()
  t.equal(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-taurus')
  t.equal(w.kube.get('Role', 'k8s-user@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-taurus')
  t.notOk(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'a cluster scope records none')
})

t.test('made again, our objects still there: the old subjects are taken out and nobody is granted, until the groups are emptied', async (t) => {
  const w = await grown()
  w.kube.uids.set('taurus', 'ns-uid-taurus-2')
  let r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_NAMESPACE_RECREATED', subject: 'hyades', message: /namespace taurus was deleted and made again .* 2 member\(s\) .*: gina, pocahontas get nothing there until someone decides\. Empty the groups k8s-\*@hyades@taurus/ }])
  t.same(subjects(w, 'admin'), [])
  t.same(subjects(w, 'user'), [])
  t.notMatch(mapped(w), /pocahontas|gina/, 'not mapped either')
  t.match(mapped(w), /carol/, 'the rest of the cluster is synced')
  t.equal(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-taurus', 'the old uid stays recorded')
  r = await w.sync()
  t.same(r.actions, [], 'held, and converged: the next run writes nothing')
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_NAMESPACE_RECREATED' }], 'and says so again')

  // The decision: empty the groups, then grant whoever should have access.
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.clear()
  w.iam.groups.get('k8s-user@hyades@taurus')!.members.clear()
  r = await w.sync()
  t.ok(r.ok, JSON.stringify(r.problems))
  t.equal(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-taurus-2', 'the new namespace is recorded')
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.add('pocahontas')
  r = await w.sync()
  t.ok(r.ok)
  t.same(subjects(w, 'admin'), ['pocahontas'])
})

t.test('made again, our objects gone with it (a namespace controller): held as well', async (t) => {
  const w = await grown()
  for (const [key, o] of w.kube.objects) if (o.metadata.namespace === 'taurus') w.kube.objects.delete(key)
  w.kube.uids.set('taurus', 'ns-uid-taurus-2')
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_NAMESPACE_RECREATED', message: /gina, pocahontas/ }])
  t.same(subjects(w, 'admin'), [], 'the bindings are made again, with nobody in them')
  t.equal(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'unknown', 'which namespace they were for is not known')
  t.same((await w.sync()).actions, [], 'converged while held')
})

t.test('objects of an rbacsync that recorded no uid are adopted: their grants stand', async (t) => {
  const w = await grown()
  for (const o of w.kube.objects.values()) delete o.metadata.annotations?.[NAMESPACE_UID_ANNOTATION]
  const r = await w.sync()
  t.ok(r.ok, JSON.stringify(r.problems))
  t.same(subjects(w, 'admin'), ['pocahontas'])
  t.equal(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-taurus')
  t.same((await w.sync()).actions, [])
})

t.test('a new namespace whose groups are empty is simply recorded', async (t) => {
  const w = await grown()
  w.kube.namespaces.push('orion')
  const r = await w.sync()
  t.ok(r.ok)
  t.equal(w.kube.get('Role', 'k8s-user@hyades@orion', 'orion')?.metadata.annotations?.[NAMESPACE_UID_ANNOTATION], 'ns-uid-orion')
})

t.test('groups made, with members, after the namespace (before rbacsync first ran there) are simply granted', async (t) => {
  const w = world()
  w.kube.namespaces.push('vega')
  w.kube.created.set('vega', '2026-01-01T10:00:00Z')
  w.iam.addGroup('k8s-user@hyades@vega', ['lyra'])
  w.iam.created.set('k8s-user@hyades@vega', '2026-01-01T10:00:01.500Z')
  let r = await w.sync()
  t.ok(r.ok, JSON.stringify(r.problems))
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@vega', 'vega')?.subjects?.map((s) => s.name), ['lyra'])
  // The same groups, older than the namespace: it may be another namespace of that name.
  const older = world()
  older.kube.namespaces.push('vega')
  older.kube.created.set('vega', '2026-01-02T10:00:00Z')
  older.iam.addGroup('k8s-user@hyades@vega', ['lyra'])
  older.iam.created.set('k8s-user@hyades@vega', '2026-01-01T10:00:01.500Z')
  r = await older.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_NAMESPACE_RECREATED', message: /lyra get nothing there/ }])
})
