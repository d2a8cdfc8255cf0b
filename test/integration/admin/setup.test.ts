// `bastion setup` on the real host: real install.sh (in a mount namespace, under a
// scratch --root), real iptables, useradd/usermod/gpasswd, sshd -t and sshd -T, Docker.
// Run twice, the second run reports no changes and changes no file, rule or account;
// --check agrees with what a run would do; drift is found and repaired.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { NODE, PROXY_BIN, REPO, accounts, bastion, ourRules, scratch, sha256, snapshotTree } from './host.ts'

const STEPS = ['config', 'units', 'iptables', 'shell', 'sshd', 'users', 'image', 'kubeconfig']
const LIBEXEC = '/usr/local/libexec/bastion'
const NATIVE = join(REPO, 'packages/shell/dist/native')
// The host's own bastion-shell files (the default instance), which a --root run must
// never touch: install.sh removes the sudo path's leftovers, but only the root's.
const HOST_FILES = ['/usr/local/bin/bastion-shell', `${LIBEXEC}/bastion-shell-client`, `${LIBEXEC}/bastion-agent`, `${LIBEXEC}/shell-broker`,
  `${LIBEXEC}/shell-session`, '/etc/sudoers.d/bastion-shell', '/etc/shells', '/etc/ssh/sshd_config']

const hostState = (): Record<string, string> =>
  Object.fromEntries(HOST_FILES.map((f) => [f, existsSync(f) ? `${sha256(f)} ${statSync(f).mtimeMs}` : 'absent']))

t.test('setup twice: the first run changes the host, the second reports no changes and changes nothing', async (t) => {
  const s = await scratch(t)
  const users = s.users.flatMap((u) => ['--user', u])
  const host = hostState()

  const check = await bastion(['setup', '--check', '--root', s.root, ...users, ...STEPS], { config: s.config })
  t.equal(check.exitCode, 2, check.stderr)
  t.match(check.stdout, /^iptables: would add nat chain BT-SETUP-/m)
  t.match(check.stdout, /^shell: would create .*\/usr\/local\/bin\/bastion-shell$/m)
  t.match(check.stdout, new RegExp(`^users: would set the login shell of ${s.users[0]} to /usr/local/bin/bastion-shell`, 'm'))
  t.match(check.stdout, new RegExp(`^kubeconfig: would write ${s.root}/etc/bastion/kube/config \\(1 context: testbed\\)$`, 'm'))
  t.match(check.stdout, /setup --check: \d+ changes pending/)
  t.same(await ourRules(s), [], '--check added no rule')
  t.notOk(existsSync(join(s.root, 'etc/systemd')), '--check wrote no unit')
  t.match((await execa('getent', ['passwd', s.users[0] as string])).stdout, /:\/bin\/sh$/, '--check changed no login shell')

  const first = await bastion(['setup', '--root', s.root, ...users, ...STEPS], { config: s.config })
  t.equal(first.exitCode, 0, first.stderr)
  for (const re of [/^units: wrote .*bastion-imds-firewall\.service$/m, /^units: wrote .*bastion-shell-broker\.service$/m, /^iptables: added nat chain /m,
    /^shell: wrote .*\/usr\/local\/libexec\/bastion\/bastion-shell-client$/m, /^shell: wrote .*\/usr\/local\/libexec\/bastion\/bastion-agent$/m,
    /^shell: wrote .*\/usr\/local\/libexec\/bastion\/shell-broker$/m, /^shell: wrote .*\/usr\/local\/bin\/bastion-shell$/m,
    /^shell: wrote .*\/etc\/ssh\/sshd_config\.d\/bastion\.conf$/m, /^users: created group bt-setup-/m,
    new RegExp(`^kubeconfig: wrote ${s.root}/etc/bastion/kube/config \\(1 context: testbed\\)$`, 'm'), /^setup: \d+ changes$/m]) t.match(first.stdout, re)
  t.notMatch(first.stdout, /^image:/m, 'the image was there already')

  // What the first run made is what the suite wants.
  const unit = readFileSync(join(s.root, 'etc/systemd/system/bastion-metadataproxy.service'), 'utf8')
  t.match(unit, `ExecStart=${NODE} ${REPO}/packages/metadataproxy/dist/bin/bastion-metadataproxy.js serve`, 'the unit names this suite and Node')
  t.match(unit, `Environment=BASTION_CONFIG=${s.config}`)
  const runDir = s.doc.shell.broker.runDir as string
  t.match(readFileSync(join(s.root, LIBEXEC, 'shell-broker'), 'utf8'), `BASTION_CONFIG=${s.config} BASTION_SHELL_RUN_DIR=${runDir} ${NODE} --disable-warning=ExperimentalWarning ${REPO}/packages/shell/dist/bin/bastion-shell-broker.js`,
    "the broker's wrapper names this config, run directory, Node and suite")
  t.match(readFileSync(join(s.root, 'usr/local/bin/bastion-shell'), 'utf8'), new RegExp(`^client=${LIBEXEC}/bastion-shell-client\nbroker=${LIBEXEC}/shell-broker\nsocket=${runDir}/broker\\.sock$`, 'm'),
    "the login shell connects to the config's run directory")
  for (const bin of ['bastion-shell-client', 'bastion-agent']) {
    t.equal(sha256(join(s.root, LIBEXEC, bin)), sha256(join(NATIVE, bin)), `${bin} is the build's, byte for byte`)
    t.equal(statSync(join(s.root, LIBEXEC, bin)).mode & 0o7777, 0o755)
  }
  t.notOk(existsSync(join(s.root, 'etc/sudoers.d/bastion-shell')), 'no sudoers rule')
  t.match(readFileSync(join(s.root, 'etc/systemd/system/bastion-shell-broker.service'), 'utf8'), /^KillMode=process$/m)
  t.match(readFileSync(join(s.root, 'etc/bastion/kube/config'), 'utf8'), /server: https:\/\/127\.0\.0\.1:\d+/, 'the kubeconfig names the cluster')
  t.match(readFileSync(join(s.root, 'etc/shells'), 'utf8'), /^\/usr\/local\/bin\/bastion-shell$/m)
  const rules = await execa(NODE, [PROXY_BIN, '--config', s.config, 'iptables', 'check'], { reject: false })
  t.equal(rules.exitCode, 0, `the proxy's own check finds every rule: ${rules.stdout}`)
  for (const u of s.users) {
    t.match((await execa('getent', ['passwd', u])).stdout, /:\/usr\/local\/bin\/bastion-shell$/, `${u} logs in to bastion-shell`)
    t.match((await execa('id', ['-nG', u])).stdout, s.group, `${u} is in the allowed group`)
  }
  t.same(hostState(), host, "the host's own bastion-shell files, /etc/shells and sshd_config are untouched")

  const files = snapshotTree(s.root)
  const rulesBefore = await ourRules(s)
  const accountsBefore = await accounts(s)
  const second = await bastion(['setup', '--root', s.root, ...users, ...STEPS], { config: s.config })
  t.equal(second.exitCode, 0, second.stderr)
  t.equal(second.stdout, 'setup: no changes', 'the second run reports no changes')
  t.same(snapshotTree(s.root), files, 'no file under the root changed (content, mode, owner, mtime)')
  t.same(await ourRules(s), rulesBefore, 'iptables-save shows the same rules')
  t.same(await accounts(s), accountsBefore, 'passwd and group are the same')

  const again = await bastion(['setup', '--check', '--root', s.root, ...users, ...STEPS], { config: s.config })
  t.equal(again.exitCode, 0, again.stderr)
  t.equal(again.stdout, 'setup: no changes')
  t.same(hostState(), host)
})

t.test('drift is found by --check and repaired by the next run, and only what drifted is touched', async (t) => {
  const s = await scratch(t, { users: 1 })
  const user = s.users[0] as string
  const args = ['--root', s.root, '--user', user, ...STEPS]
  t.equal((await bastion(['setup', ...args], { config: s.config })).exitCode, 0)

  const unit = join(s.root, 'etc/systemd/system/bastion-shell-gc.timer')
  writeFileSync(unit, 'tampered\n')
  // A binary one bit off, a client with a mode install.sh repairs, what the sudo path left.
  const agent = join(s.root, LIBEXEC, 'bastion-agent')
  const bytes = readFileSync(agent)
  bytes.writeUInt8(bytes.readUInt8(1000) ^ 1, 1000)
  writeFileSync(agent, bytes)
  const client = join(s.root, LIBEXEC, 'bastion-shell-client')
  chmodSync(client, 0o700)
  // A root upgraded from the sudo path has a sudoers.d; a fresh one (no sudo) has none.
  const sudoers = join(s.root, 'etc/sudoers.d/bastion-shell')
  mkdirSync(dirname(sudoers), { recursive: true })
  writeFileSync(sudoers, `ALL ALL=(root) NOPASSWD: ${LIBEXEC}/shell-session\n`, { mode: 0o440 })
  const untouched = join(s.root, 'etc/systemd/system/bastion-metadataproxy.service')
  const untouchedMtime = statSync(untouched).mtimeMs
  const broker = join(s.root, LIBEXEC, 'shell-broker')
  const brokerMtime = statSync(broker).mtimeMs
  await execa('iptables', ['-w', '5', '-t', 'nat', '-D', 'PREROUTING', '-i', s.bridge, '-j', s.chainPrefix])
  await execa('usermod', ['-s', '/bin/bash', user])
  await execa('gpasswd', ['-a', user, 'docker'])
  t.teardown(() => execa('gpasswd', ['-d', user, 'docker'], { reject: false }))

  const check = await bastion(['setup', '--check', ...args], { config: s.config })
  t.equal(check.exitCode, 2)
  t.same(check.stdout.trim().split('\n').sort(), [
    `iptables: would add nat PREROUTING: traffic from ${s.bridge} jumps to ${s.chainPrefix}`,
    'setup --check: 7 changes pending',
    `shell: would remove ${sudoers}`,
    `shell: would set owner root:root and mode 755 on ${client}`,
    `shell: would update ${agent}`,
    `units: would update ${unit}`,
    `users: would remove ${user} from group docker`,
    `users: would set the login shell of ${user} to /usr/local/bin/bastion-shell (was /bin/bash)`
  ].sort())

  const fix = await bastion(['setup', ...args], { config: s.config })
  t.equal(fix.exitCode, 0, fix.stderr)
  for (const line of [`units: updated ${unit}`, `shell: wrote ${agent}`, `shell: set owner root:root and mode 755 on ${client}`, `shell: removed ${sudoers}`,
    `users: removed ${user} from group docker`, 'setup: 7 changes']) t.match(fix.stdout, line)
  t.equal(sha256(agent), sha256(join(NATIVE, 'bastion-agent')), "the agent is the build's again")
  t.notOk(existsSync(sudoers), 'the sudoers rule is gone')
  t.equal(statSync(broker).mtimeMs, brokerMtime, "the broker's wrapper, which did not drift, was not rewritten")
  t.equal(statSync(untouched).mtimeMs, untouchedMtime, 'a unit that did not drift was not rewritten')
  t.notMatch((await execa('id', ['-nG', user])).stdout, /\bdocker\b/)
  t.equal((await bastion(['setup', ...args], { config: s.config })).stdout, 'setup: no changes')
})

t.test('a login-path file that others could have changed stops --check and the run, and nothing is written', async (t) => {
  const s = await scratch(t, { users: 0 })
  const args = ['--root', s.root, 'shell']
  t.equal((await bastion(['setup', ...args], { config: s.config })).exitCode, 0)
  const client = join(s.root, LIBEXEC, 'bastion-shell-client')
  writeFileSync(client, '#!/bin/sh\necho someone else was here\n')
  chmodSync(client, 0o777)
  const before = snapshotTree(s.root)
  for (const check of [['--check'], []]) {
    const r = await bastion(['setup', ...check, ...args], { config: s.config })
    t.equal(r.exitCode, 1, `setup ${check.join(' ')}`)
    t.match(r.stderr, new RegExp(`${client} is writable by group or others, yet it is part of the login path.*chmod go-w ${client}.*BASTION_ADMIN_SETUP_FILE_INSECURE`))
  }
  t.same(snapshotTree(s.root), before, 'the suspect file is kept as it is, for whoever looks into it')
  chmodSync(client, 0o755)
  const fixed = await bastion(['setup', ...args], { config: s.config })
  t.equal(fixed.stdout, `shell: wrote ${client}\nsetup: 1 change`, 'once only root can change it, setup replaces it')
})

t.test('bad input gets a clear error with its code, and nothing is written', async (t) => {
  const s = await scratch(t, { users: 1 })
  const before = snapshotTree(s.root)

  const step = await bastion(['setup', '--root', s.root, 'firewall'], { config: s.config })
  t.equal(step.exitCode, 1)
  t.match(step.stderr, /unknown step "firewall"; the steps are config, units, iptables.*BASTION_ADMIN_SETUP_USAGE/)

  const name = await bastion(['setup', '--root', s.root, '--user', '-rf', 'users'], { config: s.config })
  t.equal(name.exitCode, 1)
  t.match(name.stderr, /BASTION_ADMIN_SETUP_USAGE/)

  const ghost = await bastion(['setup', '--root', s.root, '--user', `bt-setup-${s.tag}zz`, 'users'], { config: s.config })
  t.equal(ghost.exitCode, 1)
  t.match(ghost.stderr, /has no account on this host.*BASTION_ADMIN_SETUP_NO_SUCH_USER/)

  const relative = await bastion(['setup', '--root', 'tmp/x'], { config: s.config })
  t.match(relative.stderr, /--root must be an absolute path.*BASTION_ADMIN_SETUP_USAGE/)

  s.write({ ...s.doc, metadataproxy: { imds: { prot: 1 } } })
  const invalid = await bastion(['setup', '--root', s.root], { config: s.config })
  t.equal(invalid.exitCode, 1)
  t.match(invalid.stderr, /metadataproxy\.imds\.prot: unknown key/)
  t.match(invalid.stderr, /BASTION_ADMIN_HOST_CONFIG_INVALID/)

  s.write({ ...s.doc, shell: { ...s.doc.shell, limits: { pids: 1 } } })
  const shellInvalid = await bastion(['setup', '--root', s.root], { config: s.config })
  t.match(shellInvalid.stderr, /for the login shell, toolbox and clusters: .*shell\.limits\.pids/s, "the shell's schema is applied too")

  s.write({ ...s.doc, clusters: [{ name: 'a', region: 'eu-west-1', endpoint: 'https://x.example' }] })
  const clusters = await bastion(['setup', '--root', s.root], { config: s.config })
  t.match(clusters.stderr, /clusters\.0: endpoint and certificateAuthority go together/)

  const missing = await bastion(['setup', '--root', s.root], { config: join(s.root, 'nope.yaml') })
  t.match(missing.stderr, /cannot read the config file .*nope\.yaml.*BASTION_ADMIN_HOST_CONFIG_INVALID/)

  s.write(s.doc)
  chmodSync(s.config, 0o666)
  const insecure = await bastion(['setup', '--root', s.root, 'config'], { config: s.config })
  t.equal(insecure.exitCode, 1)
  t.match(insecure.stderr, /is writable by group or others.*chmod go-w.*BASTION_ADMIN_HOST_CONFIG_INSECURE/)
  chmodSync(s.config, 0o644)

  t.same(snapshotTree(s.root), { ...before, [s.config]: snapshotTree(s.root)[s.config] as string }, 'no file but the config (rewritten by the test) changed')
  t.same(await ourRules(s), [], 'no rule was added')
})

t.test('an sshd_config that does not apply the drop-in stops setup with the fix', async (t) => {
  const s = await scratch(t, { users: 0 })
  const sshdConfig = join(s.root, 'etc/ssh/sshd_config')
  // An earlier line wins in sshd: this one beats the drop-in's AllowTcpForwarding no.
  writeFileSync(sshdConfig, `AllowTcpForwarding yes\n${readFileSync(sshdConfig, 'utf8')}`)
  const r = await bastion(['setup', '--root', s.root, 'shell', 'sshd'], { config: s.config })
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /sshd does not apply .*bastion\.conf \(allowtcpforwarding is yes, the drop-in says no\); fix: put `Include .*sshd_config\.d\/\*\.conf` at the top/)
  t.match(r.stderr, /BASTION_ADMIN_SETUP_SSHD_INACTIVE/)
  const check = await bastion(['setup', '--check', '--root', s.root, 'shell', 'sshd'], { config: s.config })
  t.equal(check.exitCode, 1, '--check fails the same way once the drop-in is in place')
  t.match(check.stderr, /BASTION_ADMIN_SETUP_SSHD_INACTIVE/)

  writeFileSync(sshdConfig, readFileSync(sshdConfig, 'utf8').replace('AllowTcpForwarding yes\n', ''))
  const fixed = await bastion(['setup', '--root', s.root, 'shell', 'sshd'], { config: s.config })
  t.equal(fixed.exitCode, 0, fixed.stderr)
  t.equal(fixed.stdout, 'setup: no changes')
})

t.test('a missing toolbox image is built and tagged as shell.image, once', async (t) => {
  const s = await scratch(t, { users: 0 })
  const image = `${s.repository}:configured`
  s.write({ ...s.doc, shell: { ...s.doc.shell, image } })
  const check = await bastion(['setup', '--check', '--root', s.root, 'image'], { config: s.config })
  t.equal(check.exitCode, 2)
  t.match(check.stdout, `image: would build the toolbox image ${image}`)
  const build = await bastion(['setup', '--root', s.root, 'image'], { config: s.config })
  t.equal(build.exitCode, 0, build.stderr)
  t.match(build.stdout, new RegExp(`^image: built ${image} \\(sha256:[0-9a-f]{12}\\), tagged ${s.repository}:production-\\d{8}T\\d{6}Z, ${s.repository}:sha-[0-9a-f]{12}, ${image}$`, 'm'))
  const inspect = await execa('/usr/bin/docker', ['image', 'inspect', '-f', '{{index .Config.Labels "bastion.test"}} {{index .Config.Labels "bastion.test.flavor"}}', image])
  t.equal(inspect.stdout, 'setup production', 'the image was built from toolbox.context, production flavor: this host is no test bed')
  t.match(build.stderr, /smoke test: kubectl version --client: ok/, 'and smoke-tested before it got the name')
  const configText = readFileSync(s.config, 'utf8')
  const again = await bastion(['setup', '--root', s.root, 'image'], { config: s.config })
  t.equal(again.stdout, 'setup: no changes')
  t.equal(readFileSync(s.config, 'utf8'), configText, 'the config file is not rewritten: no rollout')

  // A host whose config says it is a test bed builds the offline flavor.
  const bedImage = `${s.repository}:test-bed`
  s.write({ ...s.doc, shell: { ...s.doc.shell, image: bedImage }, toolbox: { ...s.doc.toolbox, flavor: 'offline' } })
  const offline = await bastion(['setup', '--root', s.root, 'image'], { config: s.config })
  t.equal(offline.exitCode, 0, offline.exitCode === 0 ? 'built' : offline.stderr)
  t.match(offline.stdout, new RegExp(`tagged ${s.repository}:offline-\\d{8}T\\d{6}Z, `))
  t.equal((await execa('/usr/bin/docker', ['image', 'inspect', '-f', '{{index .Config.Labels "bastion.test.flavor"}}', bedImage])).stdout, 'offline')

  s.write({ ...s.doc, shell: { ...s.doc.shell, image: `${s.repository}@sha256:${'0'.repeat(64)}` } })
  const digest = await bastion(['setup', '--root', s.root, 'image'], { config: s.config })
  t.equal(digest.exitCode, 1)
  t.match(digest.stderr, /cannot be tagged with it.*BASTION_ADMIN_SETUP_IMAGE_FAILED/)
})

t.test('--help lists the steps and the options', async (t) => {
  const r = await bastion(['setup', '--help'])
  t.equal(r.exitCode, 0)
  for (const w of ['--check', '--user', '--root', '--node', 'config', 'units', 'iptables', 'shell', 'sshd', 'users', 'image', 'kubeconfig']) t.match(r.stdout, w)
})
