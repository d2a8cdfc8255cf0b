// A reconciliation whose people come from an identity store: the same roles, mappings
// and bindings as IAM groups give, no IAM group made or deleted, and nothing written
// after a failed read of the store.
import t from 'tap'
import { world, ops } from '../fixtures/world.ts'
import { FakeStore } from '../fixtures/fake-store.ts'
import { identityStorePeople } from '../../src/people/identity-store-people.ts'

const setup = () => {
  const store = new FakeStore().addUser('u1', 'john.smith@example.com').addGroup('g1', 'k8s-poweruser@hyades', ['u1']).addGroup('g2', 'k8s-user@hyades@taurus')
  const w = world({ people: identityStorePeople(store, 'd-0123456789', 4) })
  w.kube.namespaces.push('taurus')
  return { store, w }
}

t.test('a member of a store group gets a role, a mapping and a binding; no IAM group is created', async (t) => {
  const { w } = setup()
  const r = await w.sync()
  t.ok(r.ok)
  t.equal(r.users, 1)
  t.equal(w.iam.groups.size, 0, 'no IAM group made: the store\'s groups are its administrators\'')
  t.notOk(ops(r).includes('createGroup'))
  t.equal(w.iam.roles.get('john-smith')?.path, '/k8s-access/')
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-poweruser@hyades')?.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'john-smith' }])
  t.match(w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles, /rolearn: arn:aws:iam::123456789012:role\/john-smith\n {2}username: john-smith/)
  t.ok(w.kube.get('RoleBinding', 'k8s-user@hyades@taurus', 'taurus'), 'a namespace scope is set up even before anyone is in its group')
  t.same(ops(await w.sync()), [], 'converged')
})

t.test('leaving the store group takes the role away; a failed read of the store writes nothing', async (t) => {
  const { store, w } = setup()
  await w.sync()
  store.failures.set('groupMembers g1', Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
  store.groups.get('g1')!.members.clear()
  const failed = await w.sync()
  t.notOk(failed.ok)
  t.same(failed.actions, [])
  t.match(failed.problems, [{ code: 'BASTION_RBACSYNC_READ_FAILED', subject: 'iam', message: /could not read the members of identity store group k8s-poweruser@hyades: AccessDeniedException: denied/ }])
  t.ok(w.iam.roles.has('john-smith'), 'kept after the failed read')
  store.failures.clear()
  const r = await w.sync()
  t.ok(r.ok)
  t.notOk(w.iam.roles.has('john-smith'))
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-poweruser@hyades')?.subjects, [])
})

t.test('an unmappable name is an error of the run, and that person gets nothing', async (t) => {
  const { store, w } = setup()
  store.addUser('u2', 'j+x@example.com').groups.get('g1')!.members.add('u2')
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_PERSON_NAME_INVALID', subject: 'j+x@example.com' }])
  t.same([...w.iam.roles.keys()], ['john-smith'])
})

t.test('in more than 10 store groups is no IAM limit: still granted, in groups made after their namespaces', async (t) => {
  const store = new FakeStore().addUser('u1', 'busy')
  for (let i = 0; i < 11; i++) store.addGroup(`g${i}`, `k8s-user@hyades@ns${i}`, ['u1'], '2026-06-02T00:00:00.000Z')
  const w = world({ people: identityStorePeople(store, 'd-0123456789', 4) })
  for (let i = 0; i < 11; i++) {
    w.kube.namespaces.push(`ns${i}`)
    w.kube.created.set(`ns${i}`, '2026-06-01T00:00:00.000Z')
  }
  const r = await w.sync()
  t.ok(r.ok, JSON.stringify(r.problems))
  t.ok(w.iam.roles.has('busy'))
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@ns10', 'ns10')?.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'busy' }])
})

t.test('a store group older than its namespace, with members when rbacsync first meets it, grants nobody there (as for IAM)', async (t) => {
  const store = new FakeStore().addUser('u1', 'ann').addGroup('g1', 'k8s-user@hyades@taurus', ['u1'], '2026-05-01T00:00:00.000Z')
  const w = world({ people: identityStorePeople(store, 'd-0123456789', 4) })
  w.kube.namespaces.push('taurus')
  w.kube.created.set('taurus', '2026-06-01T00:00:00.000Z')
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_NAMESPACE_RECREATED' }])
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@taurus', 'taurus')?.subjects, [])
})
