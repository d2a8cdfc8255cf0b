// Who the people are: members of our access groups only (through rbacsync's shared
// reader), with their keys, and a read that fails is never a shorter list.
import t from 'tap'
import { iamPeople, identityStorePeople, type IdentityStorePort } from '@bastion/rbacsync'
import { KeyFileRefused, readPeople, type KeySource } from '../../src/users/people.ts'

function fakeIam (groups: Record<string, { path?: string, members: string[] }>) {
  return {
    async listGroups (prefix: string) { return Object.entries(groups).map(([name, g]) => ({ name, path: g.path ?? prefix })) },
    async groupMembers (group: string): Promise<string[]> {
      const g = groups[group]
      if (g === undefined) throw new Error(`NoSuchEntity: ${group}`)
      return g.members
    }
  }
}

function fakeKeys (keys: Record<string, Record<string, string>>, remembers = true): KeySource & { fetched: string[] } {
  const fetched: string[] = []
  return {
    fetched,
    remembers,
    async activeKeys (user, known) {
      const out = new Map<string, string>()
      for (const [id, body] of Object.entries(keys[user] ?? {})) {
        if (!known.has(id)) fetched.push(id)
        out.set(id, known.get(id) ?? body)
      }
      return out
    }
  }
}

t.test('members of any access group, once each, sorted, with their keys; other groups are not ours', async (t) => {
  const iam = fakeIam({
    'k8s-user@hyades@taurus': { members: ['pocahontas', 'johnsmith'] },
    'k8s-poweruser@hyades': { members: ['johnsmith'] },
    developers: { members: ['mallory'] },
    'k8s-admin@hyades': { path: '/elsewhere/', members: ['eve'] }
  })
  const r = await readPeople(iamPeople(iam, '/k8s-access/', 2), fakeKeys({ johnsmith: { K1: 'ssh-ed25519 AAAA j' } }), new Map())
  t.same(r.people, [
    { iamName: 'johnsmith', keys: ['ssh-ed25519 AAAA j'], namespaces: [{ cluster: 'hyades', namespace: 'taurus' }] },
    { iamName: 'pocahontas', keys: [], namespaces: [{ cluster: 'hyades', namespace: 'taurus' }] }
  ])
  t.same([...r.bodies], [['K1', 'ssh-ed25519 AAAA j']])
  t.same(r.problems, [])
})

t.test('known key bodies are not fetched again; a source that does not remember keeps none', async (t) => {
  const keys = fakeKeys({ a: { K1: 'x', K2: 'y' } })
  await readPeople(iamPeople(fakeIam({ 'k8s-user@hyades': { members: ['a'] } }), '/k8s-access/', 1), keys, new Map([['K1', 'x']]))
  t.same(keys.fetched, ['K2'])
  const r = await readPeople(iamPeople(fakeIam({ 'k8s-user@hyades': { members: ['a'] } }), '/k8s-access/', 1), fakeKeys({ a: { 'a:0': 'x' } }, false), new Map())
  t.same(r.bodies.size, 0)
})

t.test('a failed read throws: no partial list', async (t) => {
  const iam = fakeIam({ 'k8s-user@hyades': { members: ['a'] } })
  iam.groupMembers = async () => { throw new Error('Throttling: rate exceeded') }
  t.match(await readPeople(iamPeople(iam, '/k8s-access/', 1), fakeKeys({}), new Map()).catch((e: unknown) => e), { what: 'the members of IAM group k8s-user@hyades', cause: /Throttling/ })
  const keys = fakeKeys({})
  keys.activeKeys = async () => { throw new Error('AccessDenied: iam:ListSSHPublicKeys') }
  await t.rejects(readPeople(iamPeople(fakeIam({ 'k8s-user@hyades': { members: ['a'] } }), '/k8s-access/', 1), keys, new Map()), /AccessDenied/)
})

t.test('Identity Center people: mapped names, and the names the reader refused are problems; a refused key file is one person\'s problem', async (t) => {
  const users: Record<string, string> = { u1: 'john.smith@example.com', u2: 'j+x@example.com', u3: 'ann@example.com' }
  const store: IdentityStorePort = {
    listGroups: async () => [{ id: 'g1', displayName: 'k8s-user@hyades' }],
    groupMembers: async () => ['u1', 'u2', 'u3'],
    userName: async (id) => users[id]!
  }
  const keys = fakeKeys({ 'john-smith': { 'john-smith:0': 'ssh-ed25519 AAAA j' } }, false)
  const plain = keys.activeKeys
  keys.activeKeys = async (name, known) => { if (name === 'ann') throw new KeyFileRefused('/keys/ann is not root\'s'); return plain(name, known) }
  const r = await readPeople(identityStorePeople(store, 'd-0123456789', 2), keys, new Map())
  t.same(r.people, [{ iamName: 'ann', keys: [], namespaces: [] }, { iamName: 'john-smith', keys: ['ssh-ed25519 AAAA j'], namespaces: [] }])
  t.match(r.problems, [/Identity Center user "j\+x@example.com" maps to "j\+x"/, /^ann: \/keys\/ann is not root's/])
})
