// Step `users`: group, login shell, docker group, for the named users only; and the
// keys command's user and file, for the accounts from IAM.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkUserName, KEYS_COMMAND, usersStep } from '../../../src/setup/steps/users.ts'
import { putFile } from '../../../src/setup/files.ts'
import { APP, setupContext, scratchDir } from '../fixtures.ts'

const SHIPPED_KEYS_COMMAND = readFileSync(join(APP, 'packages/admin/host/bastion-authorized-keys'))

// A host where the keys command is in place already, as after a first run.
function keysReady (ctx: ReturnType<typeof setupContext>): Promise<unknown> {
  ctx.exec.user('bastion-keys', '/usr/sbin/nologin')
  return putFile({ path: join(ctx.paths.root, KEYS_COMMAND), content: SHIPPED_KEYS_COMMAND, mode: 0o755 })
}

async function ctxWith (t: Parameters<typeof scratchDir>[0], users: string[]) {
  const ctx = setupContext(scratchDir(t), { users })
  ctx.exec.user('alice', '/bin/bash').user('bob', '/usr/local/bin/bastion-shell').user('carol', '/bin/sh')
  ctx.exec.group('docker', 999, ['carol', 'dave'])
  await keysReady(ctx)
  return ctx
}

t.test('plan says what each named user needs; apply does it; then nothing is left', async (t) => {
  const ctx = await ctxWith(t, ['alice', 'bob', 'carol'])
  t.same(await usersStep.plan(ctx), [
    'create group bt-unit-users',
    'add alice to group bt-unit-users',
    'set the login shell of alice to /usr/local/bin/bastion-shell (was /bin/bash)',
    'add bob to group bt-unit-users',
    'add carol to group bt-unit-users',
    'set the login shell of carol to /usr/local/bin/bastion-shell (was /bin/sh)',
    'remove carol from group docker'
  ])
  t.equal(ctx.exec.calls.filter((c) => c[0] !== 'getent').length, 0, 'plan changes nothing')
  const done = await usersStep.apply(ctx)
  t.same(done, [
    'created group bt-unit-users',
    'added alice to group bt-unit-users',
    'set the login shell of alice to /usr/local/bin/bastion-shell (was /bin/bash)',
    'added bob to group bt-unit-users',
    'added carol to group bt-unit-users',
    'set the login shell of carol to /usr/local/bin/bastion-shell (was /bin/sh)',
    'removed carol from group docker'
  ])
  t.same(ctx.exec.groups.get('docker')?.members, ['dave'], 'a user not named is left alone')
  t.same(await usersStep.plan(ctx), [])
  t.same(await usersStep.apply(ctx), [])
})

t.test('no users named: nothing done, and only the keys user looked up', async (t) => {
  const ctx = await ctxWith(t, [])
  t.same(await usersStep.apply(ctx), [])
  t.same(ctx.exec.calls, [['getent', 'passwd', 'bastion-keys']])
  const failing = await ctxWith(t, [])
  failing.exec.handlers.push((cmd) => cmd === 'getent' ? { exitCode: 1, stdout: '', stderr: 'nss down' } : undefined)
  await t.rejects(usersStep.plan(failing), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /getent passwd bastion-keys exited with 1/ })
})

t.test("the keys command's user and file are made once, root's, 0755, byte for byte the shipped command", async (t) => {
  const ctx = setupContext(scratchDir(t))
  ctx.exec.handlers.push((cmd, args) => {
    if (cmd !== 'useradd') return undefined
    ctx.exec.user(args.at(-1) as string, '/usr/sbin/nologin')
    return { exitCode: 0, stdout: '', stderr: '' }
  })
  const file = join(ctx.paths.root, KEYS_COMMAND)
  t.same(await usersStep.plan(ctx), ['create system user bastion-keys (sshd runs the AuthorizedKeysCommand as it)', `create ${file}`])
  t.same(await usersStep.apply(ctx), ['created system user bastion-keys (sshd runs the AuthorizedKeysCommand as it)', `wrote ${file}`])
  t.same(ctx.exec.calls.find((c) => c[0] === 'useradd'), ['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'bastion sshd AuthorizedKeysCommand', 'bastion-keys'])
  t.same(readFileSync(file), SHIPPED_KEYS_COMMAND)
  t.equal(statSync(file).mode & 0o7777, 0o755)
  t.same(await usersStep.plan(ctx), [], 'then nothing is left')
})

t.test('a suite without the keys command is APP_INCOMPLETE, before anything is done', async (t) => {
  const ctx = setupContext(scratchDir(t), { paths: { ...setupContext(scratchDir(t)).paths, app: scratchDir(t) } })
  await t.rejects(usersStep.plan(ctx), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE', message: /packages\/admin\/host\/bastion-authorized-keys is missing/ })
})

t.test('a user whose primary group is the allowed group needs no membership', async (t) => {
  const ctx = setupContext(scratchDir(t), { users: ['erin'] })
  await keysReady(ctx)
  ctx.exec.group('bt-unit-users', 3000).user('erin', '/usr/local/bin/bastion-shell', 3000)
  t.same(await usersStep.plan(ctx), [])
})

t.test('a missing account, a bad name, docker as primary group, and a failing getent are errors', async (t) => {
  await t.rejects(usersStep.plan(await ctxWith(t, ['zed'])), { code: 'BASTION_ADMIN_SETUP_NO_SUCH_USER', message: /user zed has no account on this host; create it first/ })
  await t.rejects(usersStep.plan(await ctxWith(t, ['-o'])), { code: 'BASTION_ADMIN_SETUP_USAGE' })
  const primary = setupContext(scratchDir(t), { users: ['frank'] })
  await keysReady(primary)
  primary.exec.group('docker', 999).user('frank', '/bin/sh', 999)
  await t.rejects(usersStep.plan(primary), { code: 'BASTION_ADMIN_SETUP_USAGE', message: /frank's primary group is docker.*usermod -g/ })
  const broken = await ctxWith(t, ['alice'])
  broken.exec.handlers.push((cmd, args) => cmd === 'getent' && args[0] === 'group' ? { exitCode: 1, stdout: '', stderr: 'nss down' } : undefined)
  await t.rejects(usersStep.plan(broken), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /getent group bt-unit-users exited with 1: nss down/ })
  const noPasswd = await ctxWith(t, ['alice'])
  noPasswd.exec.handlers.push((cmd, args) => cmd === 'getent' && args[0] === 'passwd' ? { exitCode: 1, stdout: '', stderr: 'nss down' } : undefined)
  await t.rejects(usersStep.plan(noPasswd), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /getent passwd alice/ })
})

t.test('a failing usermod stops the step with its words', async (t) => {
  const ctx = await ctxWith(t, ['alice'])
  ctx.exec.handlers.push((cmd) => cmd === 'usermod' ? { exitCode: 8, stdout: '', stderr: 'usermod: user alice is currently used by process 42' } : undefined)
  await t.rejects(usersStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /usermod -s \/usr\/local\/bin\/bastion-shell alice exited with 8: usermod: user alice is currently used/ })
})

t.test('user names: what useradd takes, never an option', async (t) => {
  for (const ok of ['alice', 'John.Smith', 'a@corp', 'svc_x', 'machine$', 'a'.repeat(64)]) t.doesNotThrow(() => checkUserName(ok), ok)
  for (const bad of ['', '-rf', 'a b', 'a:b', 'a/b', 'a\nb', 'a'.repeat(65), '.hidden']) t.throws(() => checkUserName(bad), { code: 'BASTION_ADMIN_SETUP_USAGE' }, JSON.stringify(bad))
})
