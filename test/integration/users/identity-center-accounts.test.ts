// Accounts from IAM Identity Center, on the real components: moto's identity store
// (through the aws-front, which can fail its calls), the real useradd, usermod and
// gpasswd, `bastion setup users`, a real sshd with the shipped drop-in and so the real
// AuthorizedKeysCommand, and the bed's session broker. A member of an identity store
// access group gets an account under the mapped name (bt-idc-ann@example.com ->
// bt-idc-ann) and logs in with the key in their file of the key directory; an untrusted
// key file serves nothing; a failed read of the store, or an unreadable key directory,
// changes nothing; a name that cannot be mapped, and two that map to one, are reported
// and skipped; out of every group, the account is locked. Its own identity store and
// names, so it meets no other suite's people.
import t from 'tap'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import {
  IdentitystoreClient, CreateGroupCommand, CreateUserCommand, CreateGroupMembershipCommand, DeleteGroupMembershipCommand,
  ListGroupMembershipsForMemberCommand
} from '@aws-sdk/client-identitystore'
import { startAwsFront } from '../../fixtures/aws-front.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { SHELL_CONFIG } from '../../fixtures/shell.ts'
import { sshFacts } from '../../fixtures/ssh.ts'
import { startSshd } from '../../fixtures/sshd-instance.ts'
import { groupsOf, KEYS_DIR, passwdOf, removeAccount, setupUsers, usersSync } from '../../fixtures/iam-people.ts'

const MARK = 'bastion users sync'
const ANN = 'bt-idc-ann'
const BEN = 'bt-idc-ben'
const STORE = `d-${Date.now().toString(16).slice(-8)}cd`

// A sync locks every account of ours that its source does not list: never run beside
// another suite whose accounts it would lock.
const others = (await execa('getent', ['passwd'])).stdout.split('\n').map((l) => l.split(':')).filter((f) => f[4] === MARK && !(f[0] ?? '').startsWith('bt-idc-'))
if (others.length > 0) throw new Error(`accounts of \`bastion users sync\` exist (${others.map((f) => f[0]).join(', ')}): another users suite is running; run this one after it`)

const front = await startAwsFront(bedFacts()('BASTION_TEST_STS_ENDPOINT'), '123456789012')
t.teardown(() => front.close())
const store = new IdentitystoreClient({ region: 'eu-west-1', endpoint: front.url, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
t.teardown(() => store.destroy())
const dir = mkdtempSync(join(tmpdir(), 'bt-idc-users-'))
chmodSync(dir, 0o755)
const keyDir = join(dir, 'ssh-keys')
mkdirSync(keyDir, { mode: 0o755 })
t.teardown(async () => {
  for (const u of [ANN, BEN]) await removeAccount(u)
  rmSync(dir, { recursive: true, force: true })
})

await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ann@laptop', '-f', join(dir, 'ann')])
const annKey = join(dir, 'ann')
// Ann's file in the key directory, as an admin or an S3 sync (as root) leaves it.
writeFileSync(join(keyDir, ANN), `# Ann's laptop\n${readFileSync(`${annKey}.pub`, 'utf8')}`, { mode: 0o644 })

const config = join(dir, 'bastion.yaml')
writeFileSync(config, readFileSync(SHELL_CONFIG, 'utf8') + [
  'users:',
  '  source: identity-center',
  `  loginShell: ${sshFacts().shellBin}`,
  '  iam:',
  '    pageSize: 1', // every list of the store is read page by page
  '    timeoutMs: 5000',
  `  identityCenter: {identityStoreId: ${STORE}, region: eu-west-1, endpoint: ${front.url}}`,
  `  keys: {directory: ${keyDir}}`,
  ''
].join('\n'))

await setupUsers(config)
// Last at the top level: a failure after it would leave sshd running (no teardown runs).
const sshd = await startSshd(t, [ANN])

const sync = (args: string[] = []) => usersSync(config, args)
const passwd = passwdOf
const asAnn = () => sshd.ssh(ANN, [annKey], 'id -un; echo "role=$IAM_ROLE"')

const group = async (name: string): Promise<string> => (await store.send(new CreateGroupCommand({ IdentityStoreId: STORE, DisplayName: name }))).GroupId!
const user = async (name: string): Promise<string> => (await store.send(new CreateUserCommand({ IdentityStoreId: STORE, UserName: name, DisplayName: name, Name: { GivenName: 'A', FamilyName: 'B' } }))).UserId!
const member = async (g: string, u: string): Promise<string> => (await store.send(new CreateGroupMembershipCommand({ IdentityStoreId: STORE, GroupId: g, MemberId: { UserId: u } }))).MembershipId!

const access = await group('k8s-user@hyades@taurus')
const power = await group('k8s-poweruser@hyades')
const developers = await group('developers')
const ann = await user(`${ANN}@example.com`)
const ben = await user('Bt.Idc.Ben@example.com')

t.test('a member of an identity store access group gets an account under the mapped name and logs in with the key in their file', async (t) => {
  await member(access, ann)
  await member(developers, ben)
  const dry = await sync(['--dry-run'])
  t.match(dry.stdout, `would create account ${ANN}`)
  t.same(await passwd(ANN), [''], '--dry-run made no account')
  const r = await sync()
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  t.match(r.stdout, `created account ${ANN}`)
  t.notMatch(r.stdout, BEN, 'a member of a group that is not an access group gets nothing')
  const p = await passwd(ANN)
  t.equal(p[4], MARK, 'marked as ours')
  t.equal(p[6], sshFacts().shellBin)
  t.ok((await groupsOf(ANN)).includes('bastion-users'))
  t.notOk((await groupsOf(ANN)).includes('docker'))
  t.match(readFileSync(join(KEYS_DIR, ANN), 'utf8'), /^restrict,pty ssh-ed25519 \S+\n$/, 'her key, restricted, in the cache the keys command reads')
  const login = await asAnn()
  t.equal(login.exitCode, 0, login.stderr)
  t.equal(login.stdout, `${ANN}\nrole=${ANN}`, 'in her container, as her own role (the name rbacsync gives it)')
  t.equal((await sshd.ssh(ANN, [sshFacts().key], 'true')).exitCode, 255, 'a key not in her file is refused')
  t.match((await sync()).stdout, /^users sync: 1 people in the access groups, 0 change\(s\), 0 problem\(s\)$/m, 'a second run changes nothing')
})

t.test('a key file someone other than root could write serves nothing, and is reported', async (t) => {
  const file = join(keyDir, ANN)
  chownSync(file, 65534, 65534)
  t.teardown(() => chownSync(file, 0, 0))
  const r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, new RegExp(`problem: ${ANN}: ${file} is not a regular file of root's that only root may write`))
  t.equal(readFileSync(join(KEYS_DIR, ANN), 'utf8'), '')
  t.equal((await asAnn()).exitCode, 255, 'her login is refused')
  chownSync(file, 0, 0)
  await sync()
  t.equal((await asAnn()).exitCode, 0, 'root\'s again: she logs in')
})

t.test('a failed read of the store, or an unreadable key directory, changes nothing', async (t) => {
  const annAccess = (await execa('getent', ['group', 'bastion-users'])).stdout
  front.fail = (call) => call.action === 'POST /' ? { status: 403, code: 'AccessDeniedException', message: 'not authorized to perform identitystore:ListGroupMemberships' } : undefined
  t.teardown(() => { front.fail = undefined })
  let r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, /could not be read in full, nothing was changed: could not read the (groups|members) of identity store/)
  t.match(r.stderr, /BASTION_ADMIN_USERS_READ_FAILED/)
  front.fail = undefined
  renameSync(keyDir, `${keyDir}.away`)
  t.teardown(() => { if (existsSync(`${keyDir}.away`)) renameSync(`${keyDir}.away`, keyDir) })
  const out = await store.send(new CreateGroupMembershipCommand({ IdentityStoreId: STORE, GroupId: power, MemberId: { UserId: ben } }))
  r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, /nothing was changed: the key directory \S+ cannot be read/)
  t.same(await passwd(BEN), [''], 'no account made while the keys could not be read')
  t.equal((await execa('getent', ['group', 'bastion-users'])).stdout, annAccess)
  await store.send(new DeleteGroupMembershipCommand({ IdentityStoreId: STORE, MembershipId: out.MembershipId! }))
  renameSync(`${keyDir}.away`, keyDir)
  t.equal((await asAnn()).exitCode, 0, 'her cached key still works')
})

t.test('a name that cannot be mapped, and two that map to one, are reported and skipped', async (t) => {
  const bad = await user('bt+idc@example.com')
  const twin1 = await user('bt.idc.twin@a.example')
  const twin2 = await user('BT.IDC.TWIN@b.example')
  for (const u of [bad, twin1, twin2]) await member(access, u)
  const r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, /problem: Identity Center user "bt\+idc@example.com" maps to "bt\+idc", which is not a valid role and Unix user name/)
  t.match(r.stdout, /problem: Identity Center users "BT.IDC.TWIN@b.example" and "bt.idc.twin@a.example" would all be bt-idc-twin: all skipped/)
  t.same(await passwd('bt-idc-twin'), [''], 'neither gets the account')
  t.match(r.stderr, /BASTION_ADMIN_USERS_PROBLEMS/)
})

t.test('out of every group: locked at the next sync and refused at login', async (t) => {
  const memberships = await store.send(new ListGroupMembershipsForMemberCommand({ IdentityStoreId: STORE, MemberId: { UserId: ann } }))
  for (const m of memberships.GroupMemberships ?? []) await store.send(new DeleteGroupMembershipCommand({ IdentityStoreId: STORE, MembershipId: m.MembershipId! }))
  const r = await sync()
  t.match(r.stdout, `locked account ${ANN}: in no access group any more`)
  t.notOk((await groupsOf(ANN)).includes('bastion-users'))
  t.equal((await execa('getent', ['shadow', ANN])).stdout.split(':')[7], '1', 'expired')
  t.equal((await asAnn()).exitCode, 255, 'her login is refused')
  t.equal((await execa('runuser', ['-u', 'bastion-keys', '--', '/usr/local/libexec/bastion/bastion-authorized-keys', ANN], { reject: false })).stdout, '', 'the keys command serves nothing for her')
})
