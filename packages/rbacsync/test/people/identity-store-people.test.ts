// People from an identity store: only access groups, members by user name, names
// mapped, invalid and colliding names reported and left out, any failure fails all.
import t from 'tap'
import { FakeStore } from '../fixtures/fake-store.ts'
import { identityStorePeople } from '../../src/people/identity-store-people.ts'
import { PeopleReadError } from '../../src/people/people-source.ts'

const STORE = 'd-0123456789'

t.test('access groups with their members mapped; other groups are not read at all', async (t) => {
  const store = new FakeStore().addUser('u1', 'john.smith@example.com').addUser('u2', 'Ann@example.com')
    .addGroup('g1', 'k8s-user@hyades@taurus', ['u1', 'u2']).addGroup('g2', 'k8s-admin@hyades', ['u2']).addGroup('g3', 'Engineering', ['u1'])
  const source = identityStorePeople(store, STORE, 4)
  t.equal(source.ownsGroups, false)
  t.match(source.label, /identity store d-0123456789/)
  const read = await source.read()
  t.same(read, { groups: [{ name: 'k8s-user@hyades@taurus', members: ['john-smith', 'ann'] }, { name: 'k8s-admin@hyades', members: ['ann'] }], problems: [] })
  t.notOk(store.calls.includes('groupMembers g3'), 'no memberships read for a group that is not ours')
  t.same(store.calls.filter((c) => c.startsWith('userName')), ['userName u1', 'userName u2'], 'each person described once')
})

t.test('an invalid name and two names that map to one are reported and left out of every group', async (t) => {
  const store = new FakeStore().addUser('u1', 'john.smith@a.example').addUser('u2', 'John.Smith@b.example').addUser('u3', 'j+x@example.com').addUser('u4', 'ok@example.com')
    .addGroup('g1', 'k8s-user@hyades', ['u1', 'u2', 'u3', 'u4']).addGroup('g2', 'k8s-admin@hyades', ['u2'])
  const read = await identityStorePeople(store, STORE, 2).read()
  t.same(read.groups, [{ name: 'k8s-user@hyades', members: ['ok'] }, { name: 'k8s-admin@hyades', members: [] }])
  t.match(read.problems, [
    { code: 'BASTION_RBACSYNC_PERSON_NAME_INVALID', subject: 'j+x@example.com', severity: 'error' },
    { code: 'BASTION_RBACSYNC_PERSON_NAME_COLLISION', subject: 'john-smith', message: /"John.Smith@b.example" and "john.smith@a.example" would all be john-smith/ }
  ])
  t.equal(read.problems.length, 2)
})

t.test('any failed call fails the whole read, naming what it was reading', async (t) => {
  for (const [call, what] of [['listGroups', /groups of identity store d-0123456789/], ['groupMembers g1', /members of identity store group k8s-user@hyades/], ['userName u1', /identity store user u1/]] as const) {
    const store = new FakeStore().addUser('u1', 'ann').addGroup('g1', 'k8s-user@hyades', ['u1'])
    store.failures.set(call, Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
    const err = await identityStorePeople(store, STORE, 4).read().catch((e: unknown) => e)
    t.ok(err instanceof PeopleReadError, call)
    t.match((err as PeopleReadError).what, what)
    t.match((err as Error).cause, { name: 'ThrottlingException' })
  }
  const gone = new FakeStore().addGroup('g1', 'k8s-user@hyades', ['deleted-user'])
  t.match(await identityStorePeople(gone, STORE, 4).read().catch((e: unknown) => e), { what: /identity store user deleted-user/ }, 'a member that cannot be described fails the read')
})
