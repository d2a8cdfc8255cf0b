// One reconciliation over fakes: the story, idempotence, dry runs, and the report.
import t from 'tap'
import { world, ops } from './fixtures/world.ts'
import { AWS_AUTH_OWNED_ANNOTATION } from '../src/model/marks.ts'
import { trustPolicy } from '../src/iam/trust-policy.ts'

t.test('cluster hyades appears: its three groups, ClusterRoles and bindings are created', async (t) => {
  const w = world()
  const r = await w.sync()
  t.ok(r.ok)
  t.same([...w.iam.groups.keys()].sort(), ['k8s-admin@hyades', 'k8s-poweruser@hyades', 'k8s-user@hyades'])
  for (const tier of ['admin', 'poweruser', 'user']) {
    t.ok(w.kube.get('ClusterRole', `k8s-${tier}@hyades`), `ClusterRole k8s-${tier}@hyades`)
    t.same(w.kube.get('ClusterRoleBinding', `k8s-${tier}@hyades`)?.subjects, [])
  }
  t.equal(w.kube.configMaps.size, 0, 'no aws-auth is written while nobody needs a mapping')
})

t.test('johnsmith joins k8s-poweruser@hyades, then pocahontas k8s-admin@hyades@taurus: role, mapping, binding', async (t) => {
  const w = world()
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.add('johnsmith')
  let r = await w.sync()
  t.ok(r.ok)
  t.equal(w.iam.roles.get('johnsmith')?.path, '/k8s-access/')
  t.equal(w.iam.roles.get('johnsmith')!.trustPolicy, trustPolicy(['arn:aws:iam::123456789012:role/bastion-host'], 'johnsmith'))
  t.same(w.iam.roles.get('johnsmith')!.tags, [{ Key: 'managed-by', Value: 'bastion-rbacsync' }, { Key: 'bastion:user', Value: 'johnsmith' }])
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-poweruser@hyades')?.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'johnsmith' }])
  const cm = w.kube.configMaps.get('kube-system/aws-auth')!
  t.equal(cm.data?.mapRoles, '- rolearn: arn:aws:iam::123456789012:role/johnsmith\n  username: johnsmith\n')
  t.equal(cm.metadata.annotations?.[AWS_AUTH_OWNED_ANNOTATION], '["arn:aws:iam::123456789012:role/johnsmith"]')

  w.kube.namespaces.push('taurus')
  r = await w.sync()
  t.ok(r.ok)
  t.ok(w.iam.groups.has('k8s-admin@hyades@taurus'))
  t.ok(w.kube.get('Role', 'k8s-admin@hyades@taurus', 'taurus'))
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.add('pocahontas')
  r = await w.sync()
  t.same(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.subjects?.map((s) => s.name), ['pocahontas'])
  t.match(w.kube.configMaps.get('kube-system/aws-auth')!.data?.mapRoles, /role\/pocahontas\n {2}username: pocahontas/)
  t.equal(r.users, 2)
})

t.test('a converged run makes zero writes, and reads do not grow with the users', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus', 'orion')
  await w.sync()
  for (let i = 0; i < 30; i++) w.iam.groups.get(i % 2 === 0 ? 'k8s-user@hyades@orion' : 'k8s-poweruser@hyades')!.members.add(`user${i}`)
  await w.sync()
  w.iam.calls = []
  w.kube.calls = []
  const r = await w.sync()
  t.same(r.actions, [])
  t.equal(r.writes, 0)
  t.same(w.iam.writes(), [])
  t.same(w.kube.writes(), [])
  t.equal(w.iam.calls.filter((c) => c.startsWith('groupMembers')).length, 9, 'one GetGroup per group, not per user')
})

t.test('removing people from the groups takes the access away, and the role once no grant is left', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus')
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.add('johnsmith')
  w.iam.groups.get('k8s-user@hyades@taurus')!.members.add('johnsmith')
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.delete('johnsmith')
  await w.sync()
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-poweruser@hyades')?.subjects, [])
  t.ok(w.iam.roles.has('johnsmith'), 'the role stays while a grant is left')
  t.match(w.kube.configMaps.get('kube-system/aws-auth')!.data?.mapRoles, /johnsmith/)
  w.iam.groups.get('k8s-user@hyades@taurus')!.members.delete('johnsmith')
  const r = await w.sync()
  t.notOk(w.iam.roles.has('johnsmith'))
  t.equal(w.kube.configMaps.get('kube-system/aws-auth')!.data?.mapRoles, '[]\n')
  t.equal(w.kube.configMaps.get('kube-system/aws-auth')!.metadata.annotations?.[AWS_AUTH_OWNED_ANNOTATION], '[]')
  t.ok(ops(r).indexOf('updateAwsAuth') < ops(r).indexOf('deleteRole'), 'unmapped before the role goes')
})

t.test('--dry-run plans the same changes and writes nothing', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-user@hyades', ['alice'])
  const dry = await w.sync({ dryRun: true })
  t.ok(dry.dryRun)
  t.ok(dry.actions.length > 0)
  t.same(dry.results, [])
  t.same(w.iam.writes(), [])
  t.same(w.kube.writes(), [])
  const real = await w.sync()
  t.same(ops(real), ops(dry))
})

t.test('a failed write is a problem of the run, and what depends on it is not attempted', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-user@hyades', ['alice'])
  w.iam.failures.set('createRole alice', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_WRITE_FAILED', message: /create IAM role alice: Throttling: Rate exceeded/ }])
  t.notMatch(w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles ?? '', /alice/, 'alice is not mapped to a role that does not exist')
})
