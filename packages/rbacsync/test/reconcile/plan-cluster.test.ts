// A cluster's plan: foreign objects with colliding names, drifted objects, aws-auth and
// access-entry mappings.
import t from 'tap'
import { world, ops } from '../fixtures/world.ts'
import { MANAGED_BY_LABEL, ownedMeta } from '../../src/model/marks.ts'

t.test('foreign objects with our names are never touched; the scope is reported and skipped', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus')
  const foreignRole = w.kube.put({ kind: 'ClusterRole', metadata: { name: 'k8s-admin@hyades', labels: { team: 'ops' } }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] })
  const foreignBinding = w.kube.put({ kind: 'RoleBinding', metadata: { name: 'k8s-user@hyades@taurus', namespace: 'taurus' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'mallory' }] })
  for (const name of ['admin', 'edit', 'view', 'system:node']) w.kube.put({ kind: 'ClusterRole', metadata: { name }, rules: [] })
  w.iam.addGroup('k8s-admin@hyades', ['johnsmith'])
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [
    { code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', subject: 'hyades', message: /ClusterRole k8s-admin@hyades in cluster hyades exists and is not ours: tier admin is not applied there/ },
    { code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', subject: 'hyades', message: /RoleBinding k8s-user@hyades@taurus in namespace taurus of cluster hyades/ }
  ])
  t.same(w.kube.get('ClusterRole', 'k8s-admin@hyades'), foreignRole)
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@taurus', 'taurus'), foreignBinding)
  t.notOk(w.kube.get('ClusterRoleBinding', 'k8s-admin@hyades'), 'no binding to a role that is not ours')
  t.notOk(w.kube.get('Role', 'k8s-user@hyades@taurus', 'taurus'), 'the scope is skipped whole')
  t.same(w.kube.get('ClusterRole', 'view')?.rules, [])
  t.notOk(w.kube.writes().some((c) => /^(replace|remove)/.test(c)), 'nothing foreign is updated or deleted')
})

t.test('an object of ours that drifted is put back, keeping what others added to it', async (t) => {
  const w = world()
  await w.sync()
  const cr = w.kube.get('ClusterRole', 'k8s-user@hyades')!
  cr.rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]
  cr.metadata.labels = { ...cr.metadata.labels, extra: 'kept' }
  const crb = w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')!
  crb.subjects = [{ kind: 'User', name: 'intruder', apiGroup: 'rbac.authorization.k8s.io' }]
  const r = await w.sync()
  t.same(r.actions.map((a) => a.op), ['replaceObject', 'replaceObject'])
  t.notSame(w.kube.get('ClusterRole', 'k8s-user@hyades')?.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])
  t.equal(w.kube.get('ClusterRole', 'k8s-user@hyades')?.metadata.labels?.extra, 'kept')
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.subjects, [])
})

t.test('a binding of ours with another roleRef is dropped, and made again by the next run', async (t) => {
  const w = world()
  await w.sync()
  const crb = w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')!
  crb.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }
  let r = await w.sync()
  t.same(ops(r), ['deleteObject'])
  r = await w.sync()
  t.same(ops(r), ['createObject'])
  t.equal(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.roleRef?.name, 'k8s-user@hyades')
})

t.test('an object labelled ours but annotated for another group is treated as foreign', async (t) => {
  const w = world()
  const meta = ownedMeta('k8s-user@hyades')
  meta.annotations = { 'bastion/iam-group': 'k8s-user@pleiades' }
  w.kube.put({ kind: 'ClusterRole', metadata: meta, rules: [] })
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', message: /ClusterRole k8s-user@hyades/ }])
  t.equal(w.kube.get('ClusterRole', 'k8s-user@hyades')?.metadata.labels?.[MANAGED_BY_LABEL], 'bastion-rbacsync')
})

t.test('aws-auth: entries we do not own survive, with their formatting; a foreign entry for our role is a conflict', async (t) => {
  const w = world()
  const foreign = '# node roles, managed by eksctl\n- groups: [system:bootstrappers, system:nodes]\n  rolearn: arn:aws:iam::123456789012:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n- rolearn: arn:aws:iam::123456789012:role/mallory\n  username: mallory\n'
  w.kube.setConfigMap({ metadata: { name: 'aws-auth', namespace: 'kube-system', labels: { x: 'y' } }, data: { mapRoles: foreign, mapUsers: '[]' } })
  w.iam.addGroup('k8s-user@hyades', ['johnsmith', 'mallory'])
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', message: /aws-auth already maps arn:aws:iam::123456789012:role\/mallory in an entry that is not ours: mallory is not mapped/ }])
  const cm = w.kube.configMaps.get('kube-system/aws-auth')!
  t.equal(cm.data?.mapRoles, `${foreign}- rolearn: arn:aws:iam::123456789012:role/johnsmith\n  username: johnsmith\n`)
  t.equal(cm.data?.mapUsers, '[]')
  t.equal(cm.metadata.labels?.x, 'y')
  w.iam.groups.get('k8s-user@hyades')!.members.clear()
  await w.sync()
  t.equal(w.kube.configMaps.get('kube-system/aws-auth')!.data?.mapRoles, foreign, 'only our entry goes')
})

t.test('access entries: one per user with the role ARN and its path; only tagged ones of our path are deleted', async (t) => {
  const w = world({ mapping: 'access-entries' })
  w.iam.addGroup('k8s-user@hyades', ['johnsmith', 'pocahontas'])
  w.entries.entries.set('arn:aws:iam::123456789012:role/nodes', { principalArn: 'arn:aws:iam::123456789012:role/nodes', tags: {} })
  let r = await w.sync()
  t.ok(r.ok)
  t.same([...w.entries.entries.keys()].sort(), ['arn:aws:iam::123456789012:role/k8s-access/johnsmith', 'arn:aws:iam::123456789012:role/k8s-access/pocahontas', 'arn:aws:iam::123456789012:role/nodes'])
  t.same(w.entries.entries.get('arn:aws:iam::123456789012:role/k8s-access/johnsmith'), { principalArn: 'arn:aws:iam::123456789012:role/k8s-access/johnsmith', username: 'johnsmith', tags: { 'managed-by': 'bastion-rbacsync' } })
  w.entries.entries.set('arn:aws:iam::123456789012:role/k8s-access/handmade', { principalArn: 'arn:aws:iam::123456789012:role/k8s-access/handmade', tags: {} })
  w.iam.groups.get('k8s-user@hyades')!.members.delete('pocahontas')
  r = await w.sync()
  t.notOk(w.entries.entries.has('arn:aws:iam::123456789012:role/k8s-access/pocahontas'))
  t.notOk(w.iam.roles.has('pocahontas'))
  t.ok(w.entries.entries.has('arn:aws:iam::123456789012:role/k8s-access/handmade'), 'untagged: left in place')
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', message: /handmade is under our path but not tagged/ }])
  t.ok(w.entries.entries.has('arn:aws:iam::123456789012:role/nodes'))
  r = await w.sync()
  t.same(ops(r), ['deleteAccessEntry'], 'converged but for the entry that is not ours')
})

t.test('access entries: a failed delete keeps the role', async (t) => {
  const w = world({ mapping: 'access-entries' })
  w.iam.addGroup('k8s-user@hyades', ['johnsmith'])
  await w.sync()
  w.iam.groups.get('k8s-user@hyades')!.members.clear()
  w.entries.failures.set('remove', new Error('AccessDenied'))
  const r = await w.sync()
  t.ok(w.iam.roles.has('johnsmith'))
  t.match(r.results.find((x) => x.action.op === 'deleteRole'), { ok: false, error: /not attempted: the mapping of johnsmith could not be removed/ })
})

t.test('a cluster tier\'s namespaced rights: a RoleBinding in every namespace but kube-system, with the same subjects', async (t) => {
  const w = world()
  w.kube.namespaces.push('default', 'kube-system', 'taurus')
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.add('johnsmith')
  w.iam.groups.get('k8s-user@hyades')!.members.add('carol')
  const r = await w.sync()
  t.ok(r.ok, JSON.stringify(r.problems))
  for (const [tier, user] of [['poweruser', 'johnsmith'], ['user', 'carol']] as const) {
    t.match(w.kube.get('ClusterRole', `k8s-${tier}@hyades:namespaced`), { metadata: { annotations: { 'bastion/iam-group': `k8s-${tier}@hyades` } } })
    for (const ns of ['default', 'taurus']) {
      t.match(w.kube.get('RoleBinding', `k8s-${tier}@hyades`, ns), { roleRef: { kind: 'ClusterRole', name: `k8s-${tier}@hyades:namespaced` }, subjects: [{ name: user }] }, `${tier} in ${ns}`)
    }
    t.notOk(w.kube.get('RoleBinding', `k8s-${tier}@hyades`, 'kube-system'), `none for ${tier} in kube-system`)
  }
  t.notOk(w.kube.get('RoleBinding', 'k8s-admin@hyades', 'taurus'), 'admin needs none: its ClusterRoleBinding is everything')
  t.notOk(w.kube.get('Role', 'k8s-user@hyades@kube-system', 'kube-system'), 'and kube-system is no namespace scope')
  w.iam.groups.get('k8s-poweruser@hyades')!.members.delete('johnsmith')
  await w.sync()
  t.same(w.kube.get('RoleBinding', 'k8s-poweruser@hyades', 'taurus')?.subjects, [], 'a leaver leaves every namespace')
  t.same((await w.sync()).actions, [], 'converged')
})

t.test('a foreign object in the way of a cluster tier\'s namespaced rights is reported and left alone', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus')
  w.kube.put({ kind: 'RoleBinding', metadata: { name: 'k8s-user@hyades', namespace: 'taurus' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [] })
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', message: /RoleBinding\/taurus\/k8s-user@hyades exists and is not ours: tier user of the cluster gets no rights in namespaces/ }])
  t.notOk(w.kube.get('ClusterRole', 'k8s-user@hyades:namespaced'))
  t.equal(w.kube.get('RoleBinding', 'k8s-user@hyades', 'taurus')?.roleRef?.name, 'view')
})
