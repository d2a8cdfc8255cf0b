// The rules of `bastion users sync`: who gets an account, who is locked, and what is
// reported and skipped, with the host's accounts as the input.
import t from 'tap'
import { MARK, markFor, planUsers, type Account } from '../../src/users/plan.ts'

const S = { allowedGroup: 'bastion-users', shell: '/usr/local/bin/bastion-shell' }
const ours = (name: string, o: Partial<Account> = {}): Account => ({ name, gecos: MARK, shell: S.shell, groups: [name, 'bastion-users'], expired: false, ...o })

t.test('a member without an account gets one; a member with a sound account of ours gets nothing but their keys', async (t) => {
  const p = planUsers([{ iamName: 'johnsmith', keys: ['ssh-ed25519 AAA j'] }, { iamName: 'pocahontas', keys: [] }], [ours('pocahontas')], S)
  t.same(p.changes, [{ op: 'create', name: 'johnsmith', why: 'create account johnsmith for IAM user johnsmith' }])
  t.same([...p.keys], [['johnsmith', ['ssh-ed25519 AAA j']], ['pocahontas', []]])
  t.same(p.problems, [])
})

t.test('an account of ours that is locked, out of the group, on another shell or in docker is restored', async (t) => {
  for (const drift of [{ expired: true }, { groups: ['alice'] }, { shell: '/bin/bash' }, { groups: ['alice', 'bastion-users', 'docker'] }]) {
    const p = planUsers([{ iamName: 'alice', keys: [] }], [ours('alice', drift)], S)
    t.same(p.changes.map((c) => c.op), ['restore'], JSON.stringify(drift))
  }
})

t.test('someone in no access group any more is locked once, and stays locked', async (t) => {
  const p = planUsers([], [ours('leaver')], S)
  t.same(p.changes, [{ op: 'lock', name: 'leaver', why: 'lock account leaver: in no access group any more (out of bastion-users, expired; home kept)' }])
  t.same([...p.keys], [], 'and no key of theirs is served')
  t.same(planUsers([], [ours('leaver', { expired: true, groups: ['leaver'] })], S).changes, [], 'a locked account is left alone')
  t.same(planUsers([], [ours('leaver', { expired: true })], S).changes.map((c) => c.op), ['lock'], 'expired but still in the group: locked again')
})

t.test('accounts bastion did not make are never touched, even when a person is named like one', async (t) => {
  const chef = { name: 'alice', gecos: 'Alice Liddell', shell: '/usr/local/bin/bastion-shell', groups: ['bastion-users'], expired: false }
  const p = planUsers([{ iamName: 'alice', keys: ['ssh-ed25519 AAA a'] }], [chef, { ...chef, name: 'ops', gecos: '' }], S)
  t.same(p.changes, [], 'no change to alice, none to ops')
  t.same([...p.keys], [], "and alice's IAM keys are not served for the account bastion did not make")
  t.same(p.problems, ['IAM user "alice": the account alice exists and bastion did not make it: skipped, left as it is'])
})

t.test('names that are not Unix names, or are a system account\'s, are reported and skipped', async (t) => {
  const p = planUsers(['John.Smith', 'root', 'daemon', 'sshd', 'systemd-network', '9lives', 'a'.repeat(33), 'bob'].map((iamName) => ({ iamName, keys: [] })), [], S)
  t.same(p.changes.map((c) => c.name), ['bob'])
  t.equal(p.problems.length, 7)
  t.match(p.problems[0], /IAM user "John\.Smith" is not a valid Unix user name.*: skipped$/)
  t.match(p.problems[1], /IAM user "root" is named like a system account of this host: skipped$/)
})

t.test('two people who would be the same account are both skipped, and an account of ours for that name is locked', async (t) => {
  const p = planUsers([{ iamName: 'carol', keys: [] }, { iamName: 'carol', keys: ['k'] }], [ours('carol')], S)
  t.same(p.problems, ['"carol" and "carol" would all be the Unix account carol: all skipped'])
  t.same(p.changes.map((c) => c.op), ['lock'])
  t.same([...p.keys], [])
})

t.test('with users.instance, only the accounts of that instance are ours: another sync\'s are never locked, restored or taken', async (t) => {
  t.equal(markFor(), MARK)
  t.equal(markFor('local'), 'bastion users sync (local)')
  const mine = markFor('local')
  const accounts = [ours('johnsmith', { gecos: mine }), ours('alice'), ours('gone', { gecos: mine })]
  const p = planUsers([{ iamName: 'johnsmith', keys: [] }, { iamName: 'alice', keys: [] }], accounts, { ...S, mark: mine })
  t.same(p.changes, [{ op: 'lock', name: 'gone', why: 'lock account gone: in no access group any more (out of bastion-users, expired; home kept)' }], 'alice, the default sync\'s, is not locked')
  t.same([...p.keys.keys()], ['johnsmith'], 'no keys served for an account of another sync')
  t.match(p.problems, [/the account alice exists and bastion did not make it/])
  const other = planUsers([], accounts, S)
  t.same(other.changes.map((c) => c.name), ['alice'], 'the default sync locks its own alone')
})
