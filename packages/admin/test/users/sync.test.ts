// `bastion users sync` end to end on fakes: fail closed, apply the plan, serve the keys
// of the accounts that exist, and report.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatUsersReport, syncUsers, type UsersSyncDeps } from '../../src/users/sync.ts'
import { MARK, type Account } from '../../src/users/plan.ts'
import type { Accounts } from '../../src/users/accounts.ts'
import { iamPeople } from '@bastion/rbacsync'
import type { KeySource } from '../../src/users/people.ts'

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
const S = { allowedGroup: 'bastion-users', shell: '/usr/local/bin/bastion-shell', maxAgeSeconds: 900, dryRun: false }
const NOW = new Date('2026-12-03T08:00:00Z')

// IAM as the shared reader sees it (groups under the path, their members), and IAM keys.
interface FakeIam { groups: string[], members: (group: string) => Promise<string[]>, keys: KeySource }
function iam (members: Record<string, string[]>, keys: Record<string, string[]> = {}): FakeIam {
  return {
    groups: Object.keys(members),
    async members (g) { return members[g] ?? [] },
    keys: { remembers: true, async activeKeys (user) { return new Map((keys[user] ?? []).map((k, i) => [`${user}-${i}`, k])) } }
  }
}

function accounts (list: Account[], fail: string[] = []): Accounts & { done: string[] } {
  const done: string[] = []
  const act = async (what: string, name: string) => {
    if (fail.includes(name)) throw new Error(`${what} ${name}: no`)
    done.push(`${what} ${name}`)
  }
  return { done, list: async () => list, create: (n) => act('create', n), restore: (a) => act('restore', a.name), lock: (a) => act('lock', a.name) }
}

function deps (t: Test, i: FakeIam, a: Accounts): UsersSyncDeps & { keysDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-users-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const people = iamPeople({
    listGroups: async () => i.groups.map((name) => ({ name, path: '/k8s-access/' })),
    groupMembers: (g) => i.members(g)
  }, '/k8s-access/', 2)
  return { people, keys: i.keys, accounts: a, keysDir: join(dir, 'keys'), keysGid: async () => 0, gidOf: async () => 0, now: () => NOW }
}

const ours = (name: string): Account => ({ name, gecos: MARK, shell: S.shell, groups: [name, 'bastion-users'], expired: false })

t.test('creates and locks as planned, serves the keys, and says so', async (t) => {
  const a = accounts([ours('leaver')])
  const d = deps(t, iam({ 'k8s-user@hyades': ['johnsmith'] }, { johnsmith: [`${ED} j@laptop`] }), a)
  const r = await syncUsers(d, S)
  t.same(a.done, ['create johnsmith', 'lock leaver'])
  t.equal(readFileSync(join(d.keysDir, 'johnsmith'), 'utf8'), `restrict,pty ${ED}\n`)
  t.notOk(existsSync(join(d.keysDir, 'leaver')))
  t.same(formatUsersReport(r, false), [
    'created account johnsmith for IAM user johnsmith',
    'locked account leaver: in no access group any more (out of bastion-users, expired; home kept)',
    'keys: 1 account(s) served until 2026-12-03T08:15:00.000Z (1 file(s) written, 0 removed)',
    'users sync: 1 people in the access groups, 2 change(s), 0 problem(s)'
  ])
})

t.test('a failed IAM read, account list or keys group changes nothing, not even the keys', async (t) => {
  for (const broken of ['iam', 'accounts', 'gid'] as const) {
    const a = accounts([ours('leaver')])
    const i = iam({ 'k8s-user@hyades': ['johnsmith'] })
    if (broken === 'iam') i.members = async () => { throw new Error('AccessDenied: iam:GetGroup') }
    if (broken === 'accounts') a.list = async () => { throw new Error('getent passwd exited with 2') }
    const d = deps(t, i, a)
    if (broken === 'gid') d.keysGid = async () => { throw new Error('no group bastion-keys') }
    const r = await syncUsers(d, S)
    t.match(r.failed, /AccessDenied|getent|bastion-keys/, broken)
    t.same(a.done, [], `${broken}: no account changed`)
    t.notOk(existsSync(d.keysDir), `${broken}: no key written`)
    t.match(formatUsersReport(r, false), [/^users sync: the people and their keys could not be read in full, nothing was changed: /])
  }
})

t.test('--dry-run changes nothing and says what it would do', async (t) => {
  const a = accounts([])
  const d = deps(t, iam({ 'k8s-user@hyades': ['johnsmith'] }), a)
  const r = await syncUsers(d, { ...S, dryRun: true })
  t.same(a.done, [])
  t.notOk(existsSync(d.keysDir))
  t.same(formatUsersReport(r, true), ['would create account johnsmith for IAM user johnsmith', 'users sync: 1 people in the access groups, 1 change(s) pending, 0 problem(s)'])
})

t.test('a failed useradd is a problem, and that person gets no keys; the others go on', async (t) => {
  const a = accounts([], ['bob'])
  const d = deps(t, iam({ 'k8s-user@hyades': ['alice', 'bob'] }, { alice: [ED], bob: [ED, 'junk'] }), a)
  const r = await syncUsers(d, S)
  t.same(a.done, ['create alice'])
  t.same(r.problems, ['create account bob for IAM user bob: failed: create bob: no'])
  t.ok(existsSync(join(d.keysDir, 'alice')))
  t.notOk(existsSync(join(d.keysDir, 'bob')))
  t.match(formatUsersReport(r, false), ['created account alice for IAM user alice', 'not done: create account bob for IAM user bob', /^problem: create account bob/, /^keys: 1 account/, /1 change\(s\), 1 problem\(s\)$/])
})

t.test('a key that is not a plain public key is reported, and the others served', async (t) => {
  const d = deps(t, iam({ 'k8s-user@hyades': ['alice'] }, { alice: [ED, 'command="x" ssh-ed25519 AAAA'] }), accounts([ours('alice')]))
  const r = await syncUsers(d, S)
  t.same(r.problems, ['alice: 1 IAM key(s) are not plain public keys and are not served'])
  t.equal(readFileSync(join(d.keysDir, 'alice'), 'utf8'), `restrict,pty ${ED}\n`)
})

t.test("each served account's namespaces file: root's, its own group's, 0640; none for a locked account or one without any", async (t) => {
  const a = accounts([ours('leaver'), ours('poca')])
  const d = deps(t, iam({ 'k8s-user@hyades@taurus': ['poca'], 'k8s-admin@pleiades@stars': ['poca'], 'k8s-user@hyades': ['john'] }), a)
  const dir = join(d.keysDir, '..', 'kube', 'namespaces')
  const gids: string[] = []
  d.gidOf = async (name) => { gids.push(name); return 4321 }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'leaver'), 'hyades old\n')
  const r = await syncUsers(d, { ...S, namespacesDir: dir })
  t.equal(readFileSync(join(dir, 'poca'), 'utf8'), 'hyades taurus\npleiades stars\n', 'one line per namespace, sorted')
  const st = statSync(join(dir, 'poca'))
  t.same([st.uid, st.gid, st.mode & 0o777], [0, 4321, 0o640])
  t.same(gids, ['poca'])
  t.notOk(existsSync(join(dir, 'john')), 'a cluster-tier user needs none: they list namespaces')
  t.notOk(existsSync(join(dir, 'leaver')), "a locked account's file goes")
  t.same(r.namespaces, { written: 1, removed: 1 })
  t.match(formatUsersReport(r, false), ['created account john for IAM user john', /^locked account leaver/, /^keys: /, 'namespaces: 1 file(s) written, 1 removed', /^users sync: /])
  const again = await syncUsers(d, { ...S, namespacesDir: dir })
  t.same(again.namespaces, { written: 0, removed: 0 }, 'a second run writes nothing')
})

t.test('namespaces files that cannot be written are a problem; the accounts and keys are done', async (t) => {
  const d = deps(t, iam({ 'k8s-user@hyades@taurus': ['poca'] }, { poca: [ED] }), accounts([ours('poca')]))
  d.gidOf = async () => { throw new Error('id: no such user') }
  const r = await syncUsers(d, { ...S, namespacesDir: join(d.keysDir, '..', 'ns') })
  t.match(r.problems, [/^the namespaces files in .* could not be written: id: no such user$/])
  t.ok(existsSync(join(d.keysDir, 'poca')), 'the keys are served')
})

t.test('no namespaces files while the kubeconfig directory does not exist: nothing is made there', async (t) => {
  const d = deps(t, iam({ 'k8s-user@hyades@taurus': ['poca'] }, { poca: [ED] }), accounts([ours('poca')]))
  const kube = join(d.keysDir, '..', 'no-kube')
  const r = await syncUsers(d, { ...S, namespacesDir: join(kube, 'namespaces') })
  t.same(r.namespaces, { written: 0, removed: 0 })
  t.notOk(existsSync(kube))
  t.same(r.problems, [])
})
