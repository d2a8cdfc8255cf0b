// Step `shell`: plan reads what install.sh would write; apply runs install.sh (in a mount
// namespace under a root) and reports its lines, with the root's paths.
import t from 'tap'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DROPIN_CHANGED, shellStep, wantedShellFiles } from '../../../src/setup/steps/shell.ts'
import { hostPaths } from '../../../src/setup/paths.ts'
import { APP, setupContext, scratchDir } from '../fixtures.ts'

const INSTALL = join(APP, 'packages/shell/host/install.sh')

// Lays down what install.sh would, from wantedShellFiles, as a finished install.
async function installed (ctx: ReturnType<typeof setupContext>): Promise<void> {
  for (const f of await wantedShellFiles(ctx)) {
    mkdirSync(join(f.path, '..'), { recursive: true, mode: 0o755 })
    writeFileSync(f.path, f.content, { mode: f.mode })
    chmodSync(f.path, f.mode)
  }
  chmodSync(join(ctx.paths.runner, '..'), 0o755)
  chmodSync(ctx.paths.sshdDropinDir, 0o755)
  writeFileSync(ctx.paths.shells, '/bin/sh\n/usr/local/bin/bastion-shell\n')
}

t.test('what install.sh installs: the runner names this config, Node and suite; the rest are copies', async (t) => {
  const ctx = setupContext(scratchDir(t), { paths: hostPaths({ root: '/r', app: APP, node: '/opt/node/bin/node', config: '/etc/b/bastion.yaml' }) })
  const files = await wantedShellFiles(ctx)
  t.same(files.map((f) => [f.path, f.mode]), [['/r/usr/local/libexec/bastion/shell-session', 0o755], ['/r/etc/sudoers.d/bastion-shell', 0o440], ['/r/usr/local/bin/bastion-shell', 0o755], ['/r/etc/ssh/sshd_config.d/bastion.conf', 0o644]])
  t.match(files[0]?.content, `BASTION_CONFIG=/etc/b/bastion.yaml /opt/node/bin/node --disable-warning=ExperimentalWarning ${APP}/packages/shell/dist/bin/bastion-shell-session.js`)
  t.notMatch(files[0]?.content, /@(CONFIG|NODE|ROOT)@/)
  t.equal(files[1]?.content, readFileSync(join(APP, 'packages/shell/host/sudoers'), 'utf8'))
  t.equal(files[3]?.content, readFileSync(join(APP, 'packages/shell/sshd/bastion.conf'), 'utf8'))
})

t.test('plan on an empty root lists every file, the directories, /etc/shells and a missing sudo', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  ctx.exec.installed.delete('sudo')
  t.same(await shellStep.plan(ctx), [
    'install the Debian package sudo',
    `create ${root}/usr/local/libexec/bastion`,
    `create ${root}/etc/ssh/sshd_config.d`,
    `create ${root}/usr/local/libexec/bastion/shell-session`,
    `create ${root}/etc/sudoers.d/bastion-shell`,
    `create ${root}/usr/local/bin/bastion-shell`,
    `create ${root}/etc/ssh/sshd_config.d/bastion.conf`,
    `add /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ])
})

t.test('plan on a finished install finds nothing; it finds each drift', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  await installed(ctx)
  t.same(await shellStep.plan(ctx), [])
  chmodSync(ctx.paths.sudoers, 0o644)
  chmodSync(join(ctx.paths.runner, '..'), 0o775)
  writeFileSync(ctx.paths.shells, '/bin/sh\n')
  t.same(await shellStep.plan(ctx), [
    `set owner root:root and mode 755 on ${root}/usr/local/libexec/bastion`,
    `set owner root:root and mode 440 on ${root}/etc/sudoers.d/bastion-shell`,
    `add /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ])
})

t.test("on the host's root, apply runs install.sh itself and reports its lines", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: { ...hostPaths({ root, app: APP, node: '/n', config: '/c' }), root: '/' } })
  ctx.exec.handlers.push((cmd) => cmd === INSTALL ? { exitCode: 0, stdout: `bastion-shell install: wrote /usr/local/bin/bastion-shell\nbastion-shell install: wrote ${ctx.paths.sshdDropin}\nsomething else\n`, stderr: '' } : undefined)
  t.same(await shellStep.apply(ctx), ['wrote /usr/local/bin/bastion-shell', `wrote ${ctx.paths.sshdDropin}`])
  t.same(ctx.exec.calls, [[INSTALL, '--root', APP, '--node', '/n', '--config', '/c', '--sshd-dropin', ctx.paths.sshdDropinDir]])
  t.ok(ctx.changed.has(DROPIN_CHANGED), 'the sshd step learns that the drop-in changed')
})

t.test("under a root, install.sh runs in a mount namespace with the root's /usr/local, sudoers.d and shells", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  ctx.exec.handlers.push((cmd) => cmd === 'unshare'
    ? { exitCode: 0, stdout: 'bastion-shell install: created /usr/local/libexec/bastion\nbastion-shell install: wrote /etc/sudoers.d/bastion-shell\nbastion-shell install: added /usr/local/bin/bastion-shell to /etc/shells\n', stderr: '' }
    : undefined)
  const done = await shellStep.apply(ctx)
  t.same(done, [
    `created ${root}/usr/local/bin`, `created ${root}/etc/sudoers.d`, `wrote ${root}/etc/shells`,
    `created ${root}/usr/local/libexec/bastion`, `wrote ${root}/etc/sudoers.d/bastion-shell`, `added /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ])
  const call = ctx.exec.calls[0] as string[]
  t.same(call.slice(0, 5), ['unshare', '--mount', '--propagation', 'private', '--'])
  t.same(call.slice(8, 12), ['sh', `${root}/usr/local`, `${root}/etc/sudoers.d`, `${root}/etc/shells`])
  t.same(call.slice(12), [INSTALL, '--root', APP, '--node', '/opt/bastion/node/bin/node', '--config', '/etc/bastion/bastion.yaml', '--sshd-dropin', `${root}/etc/ssh/sshd_config.d`])
  t.notOk(ctx.changed.has(DROPIN_CHANGED))
  const again = await shellStep.apply(ctx)
  for (const once of [`created ${root}/usr/local/bin`, `created ${root}/etc/sudoers.d`, `wrote ${root}/etc/shells`]) t.notOk(again.includes(once), `${once}: only once`)
})

t.test('install.sh failing is COMMAND_FAILED with its words', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: { ...hostPaths({ root, app: APP, node: '/n', config: '/c' }), root: '/' } })
  ctx.exec.handlers.push(() => ({ exitCode: 1, stdout: '', stderr: 'bastion-shell install: error: /c is writable by group or others' }))
  await t.rejects(shellStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /exited with 1: bastion-shell install: error: \/c is writable/ })
})

t.test('a suite without the shell host files is APP_INCOMPLETE', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostPaths({ root, app: root, node: '/n', config: '/c' }) })
  await t.rejects(shellStep.plan(ctx), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE', message: /packages\/shell\/host\/shell-session\.in is missing/ })
})
