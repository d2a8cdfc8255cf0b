// Step `shell`: plan reads what install.sh would write; apply runs install.sh (in a mount
// namespace under a root) and reports its lines, with the root's paths.
import t from 'tap'
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BROKER_UNIT, DROPIN_CHANGED, shellStep, wantedShellFiles } from '../../../src/setup/steps/shell.ts'
import { hostPaths, type HostPaths } from '../../../src/setup/paths.ts'
import { APP, CONFIG_TEXT, hostConfig, setupContext, scratchDir } from '../fixtures.ts'

const INSTALL = join(APP, 'packages/shell/host/install.sh')
const RUN_DIR_CONFIG = hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', 'allowedGroup: bt-unit-users, broker: { runDir: /run/bt-unit/shell } }'))
const hostRoot = (root: string, over: Partial<Parameters<typeof hostPaths>[0]> = {}): HostPaths =>
  ({ ...hostPaths({ root, app: APP, node: '/n', config: '/c', ...over }), root: '/' })

// Lays down what install.sh would, from wantedShellFiles, as a finished install.
async function installed (ctx: ReturnType<typeof setupContext>): Promise<void> {
  for (const f of await wantedShellFiles(ctx)) {
    mkdirSync(dirname(f.path), { recursive: true, mode: 0o755 })
    writeFileSync(f.path, f.content, { mode: f.mode })
    chmodSync(f.path, f.mode)
  }
  chmodSync(ctx.paths.libexecDir, 0o755)
  chmodSync(ctx.paths.sshdDropinDir, 0o755)
  writeFileSync(ctx.paths.shells, '/bin/sh\n/usr/local/bin/bastion-shell\n')
}

t.test('the config names the run directory that install.sh is given', async (t) => {
  t.equal(RUN_DIR_CONFIG.shell.shell.broker.runDir, '/run/bt-unit/shell')
  t.equal(RUN_DIR_CONFIG.shell.shell.image, 'bastion/toolbox:unit')
})

t.test("what install.sh installs: the built binaries, the broker's wrapper and the login shell with its sed edits, the drop-in", async (t) => {
  const ctx = setupContext(scratchDir(t), { paths: hostPaths({ root: '/r', app: APP, node: '/opt/node/bin/node', config: '/etc/b/bastion.yaml' }), config: RUN_DIR_CONFIG })
  const files = await wantedShellFiles(ctx)
  t.same(files.map((f) => [f.path, f.mode]), [
    ['/r/usr/local/libexec/bastion/bastion-shell-client', 0o755], ['/r/usr/local/libexec/bastion/bastion-agent', 0o755],
    ['/r/usr/local/libexec/bastion/shell-broker', 0o755], ['/r/usr/local/bin/bastion-shell', 0o755], ['/r/etc/ssh/sshd_config.d/bastion.conf', 0o644]])
  t.ok(Buffer.isBuffer(files[0]?.content) && files[0].content.equals(readFileSync(join(APP, 'packages/shell/dist/native/bastion-shell-client'))), 'the client, byte for byte')
  t.ok(Buffer.isBuffer(files[1]?.content) && files[1].content.equals(readFileSync(join(APP, 'packages/shell/dist/native/bastion-agent'))), 'the agent, byte for byte')
  const wrapper = files[2]?.content as string
  t.match(wrapper, `BASTION_CONFIG=/etc/b/bastion.yaml BASTION_SHELL_RUN_DIR=/run/bt-unit/shell /opt/node/bin/node --disable-warning=ExperimentalWarning ${APP}/packages/shell/dist/bin/bastion-shell-broker.js "$@"`)
  t.notMatch(wrapper, /@(CONFIG|NODE|ROOT|RUNDIR)@/)
  const login = (files[3]?.content as string).split('\n')
  t.same(login.filter((l) => /^(client|broker|socket)=/.test(l)), [
    'client=/usr/local/libexec/bastion/bastion-shell-client', 'broker=/usr/local/libexec/bastion/shell-broker', 'socket=/run/bt-unit/shell/broker.sock'],
  'the paths as the host names them, not the root')
  t.same(login.filter((l) => !/^(client|broker|socket)=/.test(l)), readFileSync(join(APP, 'packages/shell/host/bastion-shell'), 'utf8').split('\n').filter((l) => !/^(client|broker|socket)=/.test(l)), 'the rest as shipped')
  t.equal(files[4]?.content, readFileSync(join(APP, 'packages/shell/sshd/bastion.conf'), 'utf8'))
})

t.test('plan on an empty root lists every directory and file, and /etc/shells', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  t.same(await shellStep.plan(ctx), [
    `create ${root}/usr/local/libexec`,
    `create ${root}/usr/local/libexec/bastion`,
    `create ${root}/etc/ssh/sshd_config.d`,
    `create ${root}/usr/local/libexec/bastion/bastion-shell-client`,
    `create ${root}/usr/local/libexec/bastion/bastion-agent`,
    `create ${root}/usr/local/libexec/bastion/shell-broker`,
    `create ${root}/usr/local/bin/bastion-shell`,
    `create ${root}/etc/ssh/sshd_config.d/bastion.conf`,
    `add /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ])
  t.same(ctx.exec.calls, [], 'no command: no sudo package to look for')
})

t.test('plan on a finished install finds nothing; it finds each drift, the legacy sudo files and a changed binary', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  await installed(ctx)
  t.same(await shellStep.plan(ctx), [])
  const agent = readFileSync(ctx.paths.shell.agent)
  agent.writeUInt8(agent.readUInt8(agent.length - 1) ^ 1, agent.length - 1)
  writeFileSync(ctx.paths.shell.agent, agent)
  chmodSync(ctx.paths.shell.client, 0o700)
  chmodSync(ctx.paths.libexecDir, 0o775)
  mkdirSync(dirname(ctx.paths.shell.legacySudoers))
  writeFileSync(ctx.paths.shell.legacySudoers, 'ALL ALL=(root) NOPASSWD: /usr/local/libexec/bastion/shell-session\n')
  writeFileSync(ctx.paths.shell.legacyRunner, '#!/bin/sh\n')
  writeFileSync(ctx.paths.shells, '/bin/sh\n')
  t.same(await shellStep.plan(ctx), [
    `set owner root:root and mode 755 on ${root}/usr/local/libexec/bastion`,
    `set owner root:root and mode 755 on ${root}/usr/local/libexec/bastion/bastion-shell-client`,
    `update ${root}/usr/local/libexec/bastion/bastion-agent`,
    `remove ${root}/etc/sudoers.d/bastion-shell`,
    `remove ${root}/usr/local/libexec/bastion/shell-session`,
    `add /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ])
})

t.test("another run directory in the config changes the wrapper and the login shell; on the host's running systemd, the broker restarts", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostRoot(root), systemd: true })
  await installed(ctx)
  t.same(await shellStep.plan(ctx), [])
  chmodSync(ctx.paths.shell.broker, 0o700)
  t.same(await shellStep.plan(ctx), [`set owner root:root and mode 755 on ${ctx.paths.shell.broker}`], 'a mode alone restarts nothing')
  chmodSync(ctx.paths.shell.broker, 0o755)
  const moved = { ...ctx, config: RUN_DIR_CONFIG }
  t.same(await shellStep.plan(moved), [`update ${ctx.paths.shell.broker}`, `update ${ctx.paths.shell.bin}`, `restart the session broker (systemctl try-restart ${BROKER_UNIT})`])
  t.same(await shellStep.plan({ ...moved, systemd: false }), [`update ${ctx.paths.shell.broker}`, `update ${ctx.paths.shell.bin}`])
})

t.test("on the host's root, apply runs install.sh itself with the config's run directory and reports its lines", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostRoot(root), config: RUN_DIR_CONFIG })
  ctx.exec.handlers.push((cmd) => cmd === INSTALL ? { exitCode: 0, stdout: `bastion-shell install: wrote /usr/local/bin/bastion-shell\nbastion-shell install: wrote ${ctx.paths.sshdDropin}\nsomething else\n`, stderr: '' } : undefined)
  t.same(await shellStep.apply(ctx), ['wrote /usr/local/bin/bastion-shell', `wrote ${ctx.paths.sshdDropin}`])
  t.same(ctx.exec.calls, [[INSTALL, '--root', APP, '--node', '/n', '--config', '/c', '--run-dir', '/run/bt-unit/shell', '--sshd-dropin', ctx.paths.sshdDropinDir]])
  t.ok(ctx.changed.has(DROPIN_CHANGED), 'the sshd step learns that the drop-in changed')
})

t.test('a new wrapper restarts a running broker, only on the host and only with systemd', async (t) => {
  const root = scratchDir(t)
  const wrote = (ctx: ReturnType<typeof setupContext>) => ctx.exec.handlers.push((cmd) => cmd === INSTALL
    ? { exitCode: 0, stdout: `bastion-shell install: wrote ${ctx.paths.shell.broker}\n`, stderr: '' }
    : cmd === 'systemctl' ? { exitCode: 0, stdout: '', stderr: '' } : undefined)
  const ctx = setupContext(root, { paths: hostRoot(root), systemd: true })
  wrote(ctx)
  t.same(await shellStep.apply(ctx), [`wrote ${ctx.paths.shell.broker}`, `restarted the session broker (systemctl try-restart ${BROKER_UNIT})`])
  t.same(ctx.exec.calls.at(-1), ['systemctl', 'try-restart', BROKER_UNIT])
  t.notOk(ctx.changed.has(DROPIN_CHANGED))
  const quiet = setupContext(root, { paths: hostRoot(root), systemd: false })
  wrote(quiet)
  t.same(await shellStep.apply(quiet), [`wrote ${ctx.paths.shell.broker}`])
  t.notOk(quiet.exec.calls.some((c) => c[0] === 'systemctl'), 'no systemd, no restart')
})

t.test("under a root, install.sh runs in a mount namespace with the root's /usr/local and shells, the host's sudoers.d hidden", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { systemd: true })
  ctx.exec.handlers.push((cmd) => cmd === 'unshare'
    ? { exitCode: 0, stdout: ['created /usr/local/libexec/bastion', 'wrote /usr/local/libexec/bastion/shell-broker', 'added /usr/local/bin/bastion-shell to /etc/shells', ''].map((l) => l === '' ? l : `bastion-shell install: ${l}`).join('\n'), stderr: '' }
    : undefined)
  const done = await shellStep.apply(ctx)
  t.same(done, [
    `created ${root}/usr/local/bin`, `wrote ${root}/etc/shells`,
    `created ${root}/usr/local/libexec/bastion`, `wrote ${root}/usr/local/libexec/bastion/shell-broker`,
    `added /usr/local/bin/bastion-shell to ${root}/etc/shells`
  ], 'the lines name the root; no sudoers.d is made in it; no broker restart in a root')
  const call = ctx.exec.calls[0] as string[]
  t.same(call.slice(0, 5), ['unshare', '--mount', '--propagation', 'private', '--'])
  t.match(call[7], /mount --bind "\$1" \/usr\/local; mount --bind "\$2" \/etc\/shells; \[ ! -d \/etc\/sudoers\.d \] \|\| mount -t tmpfs [^;]+ \/etc\/sudoers\.d; shift 2;/, "the host's sudoers.d, when it has one, is hidden, so its own legacy rule stays")
  t.same(call.slice(8, 11), ['sh', `${root}/usr/local`, `${root}/etc/shells`])
  t.same(call.slice(11), [INSTALL, '--root', APP, '--node', '/opt/bastion/node/bin/node', '--config', '/etc/bastion/bastion.yaml', '--run-dir', '/run/bastion/shell', '--sshd-dropin', `${root}/etc/ssh/sshd_config.d`])
  t.equal(ctx.exec.calls.length, 1)
  const again = await shellStep.apply(ctx)
  for (const once of [`created ${root}/usr/local/bin`, `wrote ${root}/etc/shells`]) t.notOk(again.includes(once), `${once}: only once`)
})

t.test("under a root, the root's legacy sudoers rule is removed by setup itself, whether or not the host has a sudoers.d", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  ctx.exec.handlers.push((cmd) => cmd === 'unshare' ? { exitCode: 0, stdout: '', stderr: '' } : undefined)
  mkdirSync(dirname(ctx.paths.shell.legacySudoers), { recursive: true })
  writeFileSync(ctx.paths.shell.legacySudoers, 'ALL ALL=(root) NOPASSWD: /usr/local/libexec/bastion/shell-session\n')
  t.ok((await shellStep.plan(ctx)).includes(`remove ${ctx.paths.shell.legacySudoers}`))
  t.ok((await shellStep.apply(ctx)).includes(`removed ${ctx.paths.shell.legacySudoers}`))
  t.notOk(existsSync(ctx.paths.shell.legacySudoers), 'the rule is gone')
  t.notOk((await shellStep.apply(ctx)).some((l) => l.includes('sudoers')), 'and a second run has nothing to remove')
})

t.test('a file of the login path that others could have changed stops plan and apply before install.sh runs', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  await installed(ctx)
  chmodSync(ctx.paths.shell.client, 0o775)
  const refused = { code: 'BASTION_ADMIN_SETUP_FILE_INSECURE', message: `${ctx.paths.shell.client} is writable by group or others, yet it is part of the login path` }
  await t.rejects(shellStep.plan(ctx), refused)
  await t.rejects(shellStep.apply(ctx), refused)
  t.same(ctx.exec.calls, [], 'install.sh never ran')
})

t.test('install.sh failing is COMMAND_FAILED with its words', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostRoot(root) })
  ctx.exec.handlers.push(() => ({ exitCode: 1, stdout: '', stderr: 'bastion-shell install: error: /c is writable by group or others' }))
  await t.rejects(shellStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /exited with 1: bastion-shell install: error: \/c is writable/ })
})

t.test('a suite without the shell host files, or not built, is APP_INCOMPLETE', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostPaths({ root, app: root, node: '/n', config: '/c' }) })
  await t.rejects(shellStep.plan(ctx), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE', message: /packages\/shell\/host\/shell-broker\.in is missing/ })
  cpSync(join(APP, 'packages/shell/host'), join(root, 'packages/shell/host'), { recursive: true })
  await t.rejects(shellStep.plan(ctx), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE', message: /packages\/shell\/dist\/native\/bastion-shell-client is missing \(build the suite: npm run build, which needs Go\)/ })
})
