// Who the people are: members of our access groups only, with their active keys, and a
// read that fails is never a shorter list.
import t from 'tap'
import { readPeople, type IamReader } from '../../src/users/people.ts'

function fakeIam (groups: Record<string, { path?: string, members: string[] }>, keys: Record<string, Record<string, string>> = {}): IamReader & { fetched: string[] } {
  const fetched: string[] = []
  return {
    fetched,
    async groups (prefix) { return Object.entries(groups).map(([name, g]) => ({ name, path: g.path ?? prefix })) },
    async members (group) {
      const g = groups[group]
      if (g === undefined) throw new Error(`NoSuchEntity: ${group}`)
      return g.members
    },
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

t.test("members of any access group, once each, sorted, with their keys; other groups are not ours", async (t) => {
  const iam = fakeIam({
    'k8s-user@hyades@taurus': { members: ['pocahontas', 'johnsmith'] },
    'k8s-poweruser@hyades': { members: ['johnsmith'] },
    'developers': { members: ['mallory'] },
    'k8s-admin@hyades': { path: '/elsewhere/', members: ['eve'] }
  }, { johnsmith: { K1: 'ssh-ed25519 AAAA j' } })
  const r = await readPeople(iam, '/k8s-access/', new Map())
  t.same(r.people, [
    { iamName: 'johnsmith', keys: ['ssh-ed25519 AAAA j'], namespaces: [{ cluster: 'hyades', namespace: 'taurus' }] },
    { iamName: 'pocahontas', keys: [], namespaces: [{ cluster: 'hyades', namespace: 'taurus' }] }
  ])
  t.same([...r.bodies], [['K1', 'ssh-ed25519 AAAA j']])
})

t.test('known key bodies are not fetched again', async (t) => {
  const iam = fakeIam({ 'k8s-user@hyades': { members: ['a'] } }, { a: { K1: 'x', K2: 'y' } })
  await readPeople(iam, '/k8s-access/', new Map([['K1', 'x']]))
  t.same(iam.fetched, ['K2'])
})

t.test('a failed read throws: no partial list', async (t) => {
  const iam = fakeIam({ 'k8s-user@hyades': { members: ['a'] } })
  iam.members = async () => { throw new Error('Throttling: rate exceeded') }
  await t.rejects(readPeople(iam, '/k8s-access/', new Map()), /Throttling/)
})
