// Access from IAM alone, on the real components: moto's IAM (through a front that puts
// it in an account of this suite's own, and fails calls on demand), the real useradd,
// usermod and gpasswd, `bastion setup users` installing the keys command, a real sshd
// with the shipped drop-in (test/fixtures/sshd-instance.ts) and so its real
// AuthorizedKeysCommand, and the bed's session broker behind the bed's login shell. A person added to an access
// group gets an account and logs in with their IAM key; a key made inactive, or a person
// out of every group, is refused after the next sync; a failed read changes nothing;
// names that cannot be accounts, and accounts bastion did not make, are left alone.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import {
  AddUserToGroupCommand, CreateGroupCommand, CreateUserCommand, IAMClient, RemoveUserFromGroupCommand,
  UpdateSSHPublicKeyCommand, UploadSSHPublicKeyCommand
} from '@aws-sdk/client-iam'
import { startAwsFront } from '../../fixtures/aws-front.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { removeContainersOf } from '../../fixtures/shell.ts'
import { sshFacts } from '../../fixtures/ssh.ts'
import { startSshd } from '../../fixtures/sshd-instance.ts'
import { usersConfigText } from '../../fixtures/iam-people.ts'

const REPO = join(import.meta.dirname, '../../..')
const BASTION = join(REPO, 'packages/admin/dist/bin/bastion.js')
const NODE = '/opt/bastion/node/bin/node'
const KEYS_DIR = '/var/lib/bastion/keys'
const KEYS_COMMAND = '/usr/local/libexec/bastion/bastion-authorized-keys'
// An account of moto's for this run alone, so a second run starts from an empty IAM.
const ACCOUNT = String(Date.now()).slice(-12)
const ANN = 'bt-iam-ann'
const BEN = 'bt-iam-ben'
// A person of a second bastion on this host (users.instance), as the local bastion is.
const CY = 'bt-iam-cy'
const SECOND = 'bt2'
const MARK = 'bastion users sync'

const front = await startAwsFront(bedFacts()('BASTION_TEST_STS_ENDPOINT'), ACCOUNT)
t.teardown(() => front.close())
const iam = new IAMClient({ region: 'eu-west-1', endpoint: front.url, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
const dir = mkdtempSync(join(tmpdir(), 'bt-iam-users-'))
chmodSync(dir, 0o755)
t.teardown(async () => {
  for (const u of [ANN, BEN, CY]) {
    await removeContainersOf(u).catch(() => {})
    await execa('userdel', ['-r', u], { reject: false })
    rmSync(join(KEYS_DIR, u), { force: true })
  }
  rmSync(`${KEYS_DIR}-${SECOND}`, { recursive: true, force: true })
  rmSync(dir, { recursive: true, force: true })
})

// A key pair of Ann's, as she would upload it to IAM.
await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ann@laptop', '-f', join(dir, 'ann')])
const annKey = join(dir, 'ann')

// The bed's shell config, plus the users section this suite steers.
const config = join(dir, 'bastion.yaml')
writeFileSync(config, usersConfigText(front.url, ['timeoutMs: 5000']))

// The keys command and its user, as an operator installs them (`bastion setup users`).
const setup = await execa(NODE, [BASTION, '--config', config, 'setup', 'users'], { reject: false })
if (setup.exitCode !== 0) throw new Error(`bastion setup users failed: ${setup.stdout}${setup.stderr}`)
// Last at the top level: a failure after it would leave sshd running (no teardown runs).
const sshd = await startSshd(t, [ANN, CY])

const sync = (args: string[] = []) => execa(NODE, [BASTION, '--config', config, 'users', 'sync', ...args], { reject: false, env: EMULATOR_ENV })
const passwd = async (u: string) => (await execa('getent', ['passwd', u], { reject: false })).stdout.split(':')
const groupsOf = async (u: string) => (await execa('id', ['-nG', u], { reject: false })).stdout.split(' ')
const asAnn = () => sshd.ssh(ANN, [annKey], 'id -un; echo "role=$IAM_ROLE"')

for (const group of ['k8s-user@hyades@taurus', 'k8s-poweruser@hyades', 'developers']) {
  await iam.send(new CreateGroupCommand({ GroupName: group, Path: group === 'developers' ? '/' : '/k8s-access/' }))
}
for (const user of [ANN, BEN, 'John.Smith', 'root', 'bt-alice']) await iam.send(new CreateUserCommand({ UserName: user }))
const annKeyId = (await iam.send(new UploadSSHPublicKeyCommand({ UserName: ANN, SSHPublicKeyBody: readFileSync(`${annKey}.pub`, 'utf8') }))).SSHPublicKey?.SSHPublicKeyId as string

t.test('a person added to an access group gets an account of ours and logs in with their IAM key', async (t) => {
  await iam.send(new AddUserToGroupCommand({ GroupName: 'k8s-user@hyades@taurus', UserName: ANN }))
  await iam.send(new AddUserToGroupCommand({ GroupName: 'developers', UserName: BEN }))
  const dry = await sync(['--dry-run'])
  t.match(dry.stdout, `would create account ${ANN} for IAM user ${ANN}`)
  t.same(await passwd(ANN), [''], '--dry-run made no account')
  const r = await sync()
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  t.match(r.stdout, `created account ${ANN} for IAM user ${ANN}`)
  t.notMatch(r.stdout, BEN, 'a member of a group that is not an access group gets nothing')
  const p = await passwd(ANN)
  t.equal(p[4], MARK, 'marked as ours')
  t.equal(p[6], sshFacts().shellBin, 'bastion-shell is the login shell')
  const groups = await groupsOf(ANN)
  t.ok(groups.includes('bastion-users'), 'in shell.allowedGroup')
  t.notOk(groups.includes('docker'), 'never in docker')
  t.notOk(existsSync(join(p[5] as string, '.ssh/authorized_keys')), 'no authorized_keys file: the key comes from IAM')
  const login = await asAnn()
  t.equal(login.exitCode, 0, login.stderr)
  t.equal(login.stdout, `${ANN}\nrole=${ANN}`, 'in her container, as her own role')
  const other = await sshd.ssh(ANN, [sshFacts().key], 'true')
  t.equal(other.exitCode, 255, 'a key that is not hers in IAM is refused')
  t.match(other.stderr, /Permission denied \(publickey\)/)
  const second = await sync()
  t.match(second.stdout, /^users sync: 1 people in the access groups, 0 change\(s\), 0 problem\(s\)$/m, 'a second run changes nothing')
})

t.test('the keys command answers only for our accounts, only while the cache is fresh, and as its own user', async (t) => {
  const asKeys = (u: string) => execa('runuser', ['-u', 'bastion-keys', '--', KEYS_COMMAND, u], { reject: false })
  t.match((await asKeys(ANN)).stdout, /^restrict,pty ssh-ed25519 \S+$/, "Ann's IAM key, restricted")
  t.equal((await asKeys('bt-alice')).stdout, '', 'nothing for an account bastion did not make')
  t.equal((await asKeys('../etc/shadow')).stdout, '', 'nothing for a name that is not one')
  t.not((await execa('runuser', ['-u', 'bastion-keys', '--', 'cat', join(KEYS_DIR, '.key-bodies.json')], { reject: false })).exitCode, 0, "the sync's own state is root's")
  const until = join(KEYS_DIR, '.valid-until')
  const kept = readFileSync(until, 'utf8')
  writeFileSync(until, '1\n')
  t.teardown(() => writeFileSync(until, kept))
  const stale = await asKeys(ANN)
  t.equal(stale.stdout, '', 'past its deadline the cache serves nothing')
  t.match(stale.stderr, /keys cache expired/)
  t.equal((await asAnn()).exitCode, 255, 'so the login is refused')
  writeFileSync(until, kept)
})

t.test('two bastions on one host (users.instance): each sync makes, serves and locks its own accounts alone', async (t) => {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cy@laptop', '-f', join(dir, 'cy')])
  await iam.send(new CreateGroupCommand({ GroupName: 'k8s-user@hyades', Path: '/bt2-access/' }))
  await iam.send(new CreateUserCommand({ UserName: CY }))
  await iam.send(new UploadSSHPublicKeyCommand({ UserName: CY, SSHPublicKeyBody: readFileSync(join(dir, 'cy.pub'), 'utf8') }))
  await iam.send(new AddUserToGroupCommand({ GroupName: 'k8s-user@hyades', UserName: CY }))
  const second = join(dir, 'second.yaml')
  writeFileSync(second, usersConfigText(front.url, ['path: /bt2-access/']).replace(/^users:$/m, `users:\n  instance: ${SECOND}`))
  const sync2 = () => execa(NODE, [BASTION, '--config', second, 'users', 'sync'], { reject: false, env: EMULATOR_ENV })
  const r = await sync2()
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  t.match(r.stdout, `created account ${CY} for IAM user ${CY}`)
  t.notMatch(r.stdout, `lock account ${ANN}`, "the first bastion's account is not the second's to lock")
  t.equal((await passwd(CY))[4], `${MARK} (${SECOND})`, "marked as the second bastion's")
  t.ok((await groupsOf(ANN)).includes('bastion-users'), 'Ann is as she was')
  t.ok(existsSync(join(`${KEYS_DIR}-${SECOND}`, CY)), "Cy's keys are in the second bastion's cache")
  t.ok(existsSync(join(KEYS_DIR, ANN)), "Ann's stay in the first's")
  const first = await sync()
  t.equal(first.exitCode, 0, first.stdout + first.stderr)
  t.notMatch(first.stdout, CY, "the first bastion's sync does not touch Cy")
  const login = await sshd.ssh(CY, [join(dir, 'cy')], 'id -un')
  t.equal(login.exitCode, 0, login.stderr)
  t.equal(login.stdout, CY, 'Cy logs in with her IAM key, through the same keys command')
  t.equal((await asAnn()).exitCode, 0, 'and so does Ann')
  await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'k8s-user@hyades', UserName: CY }))
  t.match((await sync2()).stdout, `locked account ${CY}`, 'the second bastion takes its own away')
  t.equal((await sshd.ssh(CY, [join(dir, 'cy')], 'true')).exitCode, 255, 'refused at once')
  t.equal((await asAnn()).exitCode, 0, 'Ann still logs in')
})

t.test('a failed read of IAM changes nothing and says so', async (t) => {
  await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'k8s-user@hyades@taurus', UserName: ANN }))
  // A refusal, which the SDK does not retry: throttling would fail the same way after
  // users sync's eight attempts and their backoff, about 50 s of this suite.
  front.fail = (call) => call.action === 'GetGroup' ? { status: 403, code: 'AccessDenied', message: 'not authorized to perform: iam:GetGroup' } : undefined
  t.teardown(() => { front.fail = undefined })
  const r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, /could not be read in full, nothing was changed: could not read the members of IAM group k8s-\S+: AccessDenied: not authorized to perform: iam:GetGroup/)
  t.match(r.stderr, /BASTION_ADMIN_USERS_READ_FAILED/)
  t.ok((await groupsOf(ANN)).includes('bastion-users'), 'Ann, though out of the group in IAM, is not locked on a failed read')
  front.fail = undefined
})

t.test('out of every group: locked at the next sync, refused at login, home kept; back in: restored', async (t) => {
  const r = await sync()
  t.match(r.stdout, `locked account ${ANN}: in no access group any more`)
  t.notOk((await groupsOf(ANN)).includes('bastion-users'), 'out of the allowed group')
  t.equal((await execa('getent', ['shadow', ANN])).stdout.split(':')[7], '1', 'expired')
  t.ok(existsSync((await passwd(ANN))[5] as string), 'home kept')
  t.equal((await asAnn()).exitCode, 255, 'her login is refused')
  await iam.send(new AddUserToGroupCommand({ GroupName: 'k8s-poweruser@hyades', UserName: ANN }))
  t.match((await sync()).stdout, `restored account ${ANN}`)
  t.equal((await asAnn()).exitCode, 0, 'she logs in again')
})

t.test('a key made inactive in IAM stops at the next sync', async (t) => {
  await iam.send(new UpdateSSHPublicKeyCommand({ UserName: ANN, SSHPublicKeyId: annKeyId, Status: 'Inactive' }))
  t.teardown(() => iam.send(new UpdateSSHPublicKeyCommand({ UserName: ANN, SSHPublicKeyId: annKeyId, Status: 'Active' })))
  await sync()
  t.equal(readFileSync(join(KEYS_DIR, ANN), 'utf8'), '')
  t.equal((await asAnn()).exitCode, 255)
})

t.test('names that cannot be accounts, and accounts bastion did not make, are reported and left alone', async (t) => {
  for (const u of ['John.Smith', 'root', 'bt-alice']) await iam.send(new AddUserToGroupCommand({ GroupName: 'k8s-user@hyades@taurus', UserName: u }))
  const alice = await passwd('bt-alice')
  const root = await passwd('root')
  const r = await sync()
  t.equal(r.exitCode, 2)
  t.match(r.stdout, /problem: IAM user "John\.Smith" is not a valid Unix user name/)
  t.match(r.stdout, /problem: IAM user "root" is named like a system account/)
  t.match(r.stdout, /problem: IAM user "bt-alice": the account bt-alice exists and bastion did not make it/)
  t.match(r.stderr, /BASTION_ADMIN_USERS_PROBLEMS/)
  t.same(await passwd('bt-alice'), alice, "bt-alice's account is untouched")
  t.same(await passwd('root'), root)
  t.same(await passwd('John.Smith'), [''], 'no half-made account')
  t.notOk(existsSync(join(KEYS_DIR, 'bt-alice')), "bt-alice's IAM keys are not served")
})
