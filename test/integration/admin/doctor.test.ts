// `bastion doctor` on the real host, each check both ways: healthy against the test bed
// (its Docker, its shell network's proxy and rules, its image, its login shell's files
// and session broker (install.sh's "testbed" instance), its sshd and drop-in, its
// kube-apiserver), then broken one thing at a time, which must give exactly one problem
// line with the fix and exit 1.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { parse, stringify } from 'yaml'
import { bedFacts } from '../../fixtures/testbed.ts'
import { bastion } from './host.ts'

const need = bedFacts()
const REPO = join(import.meta.dirname, '../../..')
const SSHD_CONFIG = need('BASTION_TEST_SSHD_CONFIG')
const INSTANCE = need('BASTION_TEST_SHELL_INSTANCE')
// Root's alone, 0755: install.sh (through setup) installs into roots under it.
const work = mkdtempSync('/tmp/bt-doctor-')
chmodSync(work, 0o755)
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const tag = randomBytes(3).toString('hex')

// The bed's shell config (its proxy, rules, image) with a home size limit (which this
// host can enforce: the homes check is ok), plus the bed's kube-apiserver as the one
// cluster, with changes for one test.
type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
const withHomeLimit = (d: Doc): Doc => ({ ...d, shell: { ...d.shell, homes: { sizeMb: 16 } } })
const bedDoc = (): Doc => ({
  ...withHomeLimit(parse(readFileSync(need('BASTION_TEST_SHELL_CONFIG'), 'utf8'))),
  clusters: [{ name: 'testbed', region: 'eu-west-1', endpoint: need('BASTION_TEST_KUBE_SERVER'), certificateAuthority: readFileSync(need('BASTION_TEST_KUBE_CA')).toString('base64') }]
})
let n = 0
function config (change: (d: Doc) => void = () => {}): string {
  const d = bedDoc()
  change(d)
  const p = join(work, `bastion-${n++}.yaml`)
  writeFileSync(p, stringify(d))
  return p
}
const doctor = (cfg: string, extra: string[] = ['--sshd-config', SSHD_CONFIG, '--instance', INSTANCE]) => bastion(['doctor', ...extra], { config: cfg })
const problemLines = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('PROBLEM '))

async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

t.test('a healthy host: every check ok, exit 0', async (t) => {
  const r = await doctor(config())
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  for (const check of ['docker', 'iptables', 'network', 'proxy', 'host-guard', 'roles', 'image', 'shell', 'broker', 'sshd', 'docker-group', 'homes', 'addresses', 'clusters']) t.match(r.stdout, new RegExp(`^ok ${check}: `, 'm'))
  t.match(r.stdout, /^ok homes: each home is an ext4 image of 16 MiB, mounted at login \(\d+ homes, \d+ MiB of growth in \d+ MiB free\)$/m)
  t.match(r.stdout, /^ok roles: the proxy assumes <\/k8s-access\/><role>, the roles rbacsync makes \(rolePrefix "k8s-access\/"\)$/m, 'a default install agrees with rbacsync')
  t.match(r.stdout, /^ok addresses: \d+ of the 253 addresses of network.subnet 10\.252\.0\.0\/24 belong to a person \(\/var\/lib\/bastion-testbed\/state\/addresses\)$/m, 'the bed\'s ledger, read')
  t.match(r.stdout, /^ok clusters: 1 cluster\(s\) answer over TLS: testbed$/m)
  t.match(r.stdout, `ok broker: the session broker answers on ${need('BASTION_TEST_SHELL_RUN_DIR')}/broker.sock`)
  t.match(r.stdout, `ok shell: ${need('BASTION_TEST_SHELL_BIN')} connects to ${need('BASTION_TEST_SHELL_RUN_DIR')}/broker.sock;`)
  t.match(r.stdout, /^skipped shipping: ship\.enabled is false/m, 'the logs are not shipped on the bed')
  t.match(r.stdout, /^doctor: no problems$/m)
  const quiet = await doctor(config(), ['--quiet', '--sshd-config', SSHD_CONFIG, '--instance', INSTANCE])
  t.equal(quiet.stdout, 'doctor: no problems')
})

t.test('the host guard: ok on the bed (the proxy as its user, both probes refused); off, one problem', async (t) => {
  const r = await doctor(config())
  t.match(r.stdout, /^ok host-guard: the guard is on; the proxy runs as uid \d+; probes as nobody and as root without bastion-imds refused\./m)
  const off = await doctor(config((d) => { d.metadataproxy.iptables.hostGuard = false }))
  t.equal(off.exitCode, 1)
  t.same(problemLines(off.stdout), ["PROBLEM host-guard: metadataproxy.iptables.hostGuard is off: any process on this host can fetch the instance role's credentials and assume any person's role as them -- fix: set metadataproxy.iptables.hostGuard: true, then bastion setup iptables"])
})

t.test('homes without a size limit: a warning with the fix, also with --quiet, and exit 0', async (t) => {
  const unlimited = config((d) => { delete d.shell.homes })
  const r = await doctor(unlimited)
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  t.same(problemLines(r.stdout), [])
  const warning = `WARNING homes: homes have no size limit (shell.homes.sizeMb is 0): one user can fill the filesystem of ${bedDoc().shell.homeRoot as string} for every user -- fix: set shell.homes.sizeMb`
  t.match(r.stdout, warning)
  t.match(r.stdout, /^doctor: no problems, 1 warning$/m)
  const quiet = await doctor(unlimited, ['--quiet', '--sshd-config', SSHD_CONFIG, '--instance', INSTANCE])
  t.match(quiet.stdout, /^WARNING homes: homes have no size limit [^\n]*\ndoctor: no problems, 1 warning$/, 'only the warning and the summary')
})

t.test('home images that could outgrow the free space of shell.homeRoot: a warning', async (t) => {
  const r = await doctor(config((d) => { d.shell.homeRoot = join(work, 'homes'); d.shell.homes = { sizeMb: 16777216 } }))
  t.equal(r.exitCode, 0, r.stdout)
  t.match(r.stdout, /^ok homes: /m, 'no home yet: nothing can grow')
  mkdirSync(join(work, 'homes', 'alice'), { recursive: true })
  const grown = await doctor(config((d) => { d.shell.homeRoot = join(work, 'homes'); d.shell.homes = { sizeMb: 16777216 } }))
  t.match(grown.stdout, /^WARNING homes: the 1 homes in \S+ may grow by 16777216 MiB in all \(shell\.homes\.sizeMb: 16777216 each\), but only \d+ MiB are free there/m)
  t.equal(grown.exitCode, 0)
})

t.test('Docker unreachable: one problem, and the image check is skipped', async (t) => {
  const r = await doctor(config((d) => { d.shell.dockerSocket = join(work, 'no-docker.sock') }))
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout).length, 1, r.stdout)
  t.match(r.stdout, /^PROBLEM docker: the Docker Engine does not answer on .*no-docker\.sock .* -- fix: start it \(systemctl start docker\)/m)
  t.match(r.stdout, /^skipped image: Docker does not answer$/m)
  t.match(r.stdout, /^doctor: 1 problem$/m)
})

t.test('iptables rules absent: one problem naming the missing rules, with the fix', async (t) => {
  const prefix = `BT-DOCTOR-${tag.toUpperCase()}`
  const r = await doctor(config((d) => { d.metadataproxy.iptables.chainPrefix = prefix }))
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout).length, 1, r.stdout)
  t.match(r.stdout, new RegExp(`^PROBLEM iptables: \\d+ fail-closed IMDS rule\\(s\\) missing.*nat chain ${prefix}.*filter chain ${prefix}-HOST.* -- fix: bastion setup iptables`, 'm'))
})

t.test('a bastion network with inter-container traffic on: one problem, with the fix', async (t) => {
  const name = `bt-doc-icc-${tag}`
  await execa('docker', ['network', 'create', '--driver', 'bridge', '-o', 'com.docker.network.bridge.enable_icc=true', name])
  t.teardown(() => execa('docker', ['network', 'rm', name], { reject: false }))
  const r = await doctor(config((d) => { d.network.name = name }))
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout).length, 1, r.stdout)
  t.match(r.stdout, new RegExp(`^PROBLEM network: Docker network ${name} has inter-container traffic on .* -- fix: stop the containers on it, docker network rm ${name}`, 'm'))
})

t.test('the proxy not answering on its admin port: one problem, with the fix', async (t) => {
  const port = await closedPort()
  const r = await doctor(config((d) => { d.metadataproxy.admin.port = port }))
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout).length, 1, r.stdout)
  t.match(r.stdout, new RegExp(`^PROBLEM proxy: the metadata proxy does not answer on http://127\\.0\\.0\\.1:${port}/healthz \\(ECONNREFUSED\\) -- fix: systemctl start bastion-metadataproxy`, 'm'))
})

t.test("a rolePrefix that is not rbacsync's path: one problem, with the prefix to set", async (t) => {
  const empty = await doctor(config((d) => { d.metadataproxy.credentials = { rolePrefix: '' } }))
  t.equal(empty.exitCode, 1)
  t.same(problemLines(empty.stdout), [
    'PROBLEM roles: metadataproxy.credentials.rolePrefix is "", but rbacsync makes the per-user roles under the IAM path /k8s-access/ (rbacsync.iam.path), so STS refuses every credential request for a role rbacsync made -- fix: set metadataproxy.credentials.rolePrefix to "k8s-access/" (rbacsync.iam.path without its leading slash), or change rbacsync.iam.path and every rbacsync deployment with it; then systemctl restart bastion-metadataproxy'
  ], empty.stdout)
  const moved = await doctor(config((d) => { d.rbacsync = { iam: { path: '/people/' } } }))
  t.equal(moved.exitCode, 1)
  t.same(problemLines(moved.stdout).length, 1, moved.stdout)
  t.match(moved.stdout, /^PROBLEM roles: metadataproxy\.credentials\.rolePrefix is "k8s-access\/", but .* \/people\/ .* -- fix: set metadataproxy\.credentials\.rolePrefix to "people\/"/m)
  const both = await doctor(config((d) => { d.rbacsync = { iam: { path: '/people/' } }; d.metadataproxy.credentials = { rolePrefix: 'people/' } }))
  t.equal(both.exitCode, 0, both.stdout)
})

t.test('a proxy that answers 503 is unhealthy', async (t) => {
  const { createServer: http } = await import('node:http')
  const server = http((_req, res) => { res.statusCode = 503; res.end('{"status":"unhealthy","iptablesOk":false}') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const r = await doctor(config((d) => { d.metadataproxy.admin.port = (server.address() as { port: number }).port }))
  t.equal(r.exitCode, 1)
  t.match(r.stdout, /^PROBLEM proxy: the metadata proxy is unhealthy: .* answered 503 .*iptablesOk":false/m)
})

t.test('the toolbox image missing: one problem, with the fix', async (t) => {
  const r = await doctor(config((d) => { d.shell.image = `bastion/doctor-missing:${tag}` }))
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout).length, 1, r.stdout)
  t.match(r.stdout, new RegExp(`^PROBLEM image: the toolbox image bastion/doctor-missing:${tag} \\(shell.image\\) is missing, so logins fail -- fix: bastion setup image`, 'm'))
})

t.test('the sshd drop-in absent in a --root, then present but overridden', async (t) => {
  const root = join(work, 'root')
  mkdirSync(join(root, 'etc/ssh/sshd_config.d'), { recursive: true })
  const main = join(root, 'etc/ssh/sshd_config')
  const base = `Include ${root}/etc/ssh/sshd_config.d/*.conf\nHostKey ${join(dirname(SSHD_CONFIG), 'ssh_host_ed25519_key')}\n`
  writeFileSync(main, base)
  // The root has none of the login shell's files, which the shell check reports too.
  const sshdLines = (out: string): string[] => problemLines(out).filter((l) => l.startsWith('PROBLEM sshd:'))
  const absent = await doctor(config(), ['--root', root])
  t.equal(absent.exitCode, 1)
  t.same(sshdLines(absent.stdout).length, 1, absent.stdout)
  t.same(problemLines(absent.stdout).filter((l) => !/^PROBLEM (sshd|shell):/.test(l)), [], 'no other check minds the root')
  t.match(absent.stdout, /^PROBLEM sshd: the drop-in .*\/etc\/ssh\/sshd_config\.d\/bastion\.conf is missing, so sshd is weaker than the suite ships it \(.*\): disableforwarding is no, the drop-in says yes; allowtcpforwarding is yes.* -- fix: bastion setup shell sshd/m)

  writeFileSync(join(root, 'etc/ssh/sshd_config.d/bastion.conf'), readFileSync(join(dirname(SSHD_CONFIG), 'sshd_config.d/bastion.conf')))
  const fine = await doctor(config(), ['--root', root])
  t.same(sshdLines(fine.stdout), [], fine.stdout)
  t.match(fine.stdout, /^ok sshd: sshd applies the drop-in's \d+ settings or stricter ones \(for [a-z0-9.-]+ of bastion-users, Match blocks included;/m)

  writeFileSync(main, `X11Forwarding yes\n${base}`)
  const overridden = await doctor(config(), ['--root', root])
  t.equal(overridden.exitCode, 1)
  t.match(overridden.stdout, /^PROBLEM sshd: sshd does not apply the drop-in, so sshd is weaker than the suite ships it \(.*\): x11forwarding is yes, the drop-in says no -- fix: put `Include .*` at the top of/m)
})

t.test('a weakened host: an earlier line and a Match block for the bastion users loosen crypto and limits, and each is named', async (t) => {
  const root = join(work, 'weakened')
  mkdirSync(join(root, 'etc/ssh/sshd_config.d'), { recursive: true })
  writeFileSync(join(root, 'etc/ssh/sshd_config.d/bastion.conf'), readFileSync(join(REPO, 'packages/shell/sshd/bastion.conf')))
  const main = join(root, 'etc/ssh/sshd_config')
  const include = `Include ${root}/etc/ssh/sshd_config.d/*.conf\nHostKey ${join(dirname(SSHD_CONFIG), 'ssh_host_ed25519_key')}\n`
  const sshdLine = async (): Promise<string[]> => problemLines((await doctor(config(), ['--root', root])).stdout).filter((l) => l.startsWith('PROBLEM sshd:'))
  writeFileSync(main, include)
  t.same(await sshdLine(), [], 'the shipped drop-in alone is fine')

  // A Match block sshd -T shows only for a connection (-C) of one of the bastion's users.
  const shipped = readFileSync(join(REPO, 'packages/shell/sshd/bastion.conf'), 'utf8')
  const pubkeys = shipped.match(/^PubkeyAcceptedAlgorithms (.+)$/m)?.[1] ?? ''
  const ciphers = shipped.match(/^Ciphers (.+)$/m)?.[1] ?? ''
  writeFileSync(main, `Ciphers ${ciphers},aes128-cbc\n${include}Match Group bastion-users\n  MaxAuthTries 10\n  PubkeyAcceptedAlgorithms ${pubkeys},ecdsa-sha2-nistp256\n`)
  const lines = await sshdLine()
  t.equal(lines.length, 1, lines.join('\n'))
  t.match(lines[0], /^PROBLEM sshd: sshd does not apply the drop-in, so sshd is weaker than the suite ships it \(for [a-z0-9.-]+ of bastion-users, Match blocks included\): /)
  t.match(lines[0], 'ciphers also offers aes128-cbc, which the drop-in leaves out')
  t.match(lines[0], 'pubkeyacceptedalgorithms also offers ecdsa-sha2-nistp256, which the drop-in leaves out')
  t.match(lines[0], 'maxauthtries is 10, the drop-in says 4 (higher)')
  t.match(lines[0], /-- fix: put `Include .*` at the top of .*take them out of any Match block/)

  // Stricter than the drop-in is no problem.
  writeFileSync(main, `MaxAuthTries 2\nCiphers chacha20-poly1305@openssh.com\n${include}`)
  t.same(await sshdLine(), [], 'a stricter host is fine')
})

t.test("the login shell's files as setup installs them in a --root, then broken one at a time", async (t) => {
  const root = mkdtempSync(join(work, 'shell-'))
  chmodSync(root, 0o755)
  mkdirSync(join(root, 'etc/ssh'), { recursive: true })
  const runDir = join(root, 'run')
  mkdirSync(runDir)
  const socket = join(runDir, 'broker.sock')
  // The default instance's agent path (the bed's config names its own instance's).
  const cfg = config((d) => { d.shell.broker.runDir = runDir; delete d.shell.agent })
  const setup = await bastion(['setup', '--root', root, 'shell'], { config: cfg })
  t.equal(setup.exitCode, 0, setup.stderr)
  const inRoot = (extra: string[] = []) => doctor(cfg, ['--root', root, '--sshd-config', SSHD_CONFIG, ...extra])
  const shellLines = (out: string): string[] => problemLines(out).filter((l) => /^PROBLEM (shell|broker):/.test(l))

  const stopped = await inRoot()
  t.same(shellLines(stopped.stdout), [`PROBLEM broker: the session broker does not answer on ${socket} (ENOENT), so every login fails with BASTION_SHELL_BROKER_UNAVAILABLE -- fix: systemctl enable --now bastion-shell-broker, then see \`journalctl -u bastion-shell-broker\`; \`bastion doctor\`'s shell line says whether the login shell and the config agree on the socket`],
    'what setup installed is fine; nothing serves the socket yet')
  t.match(stopped.stdout, `ok shell: /usr/local/bin/bastion-shell connects to ${socket};`)

  // Anything that accepts counts: doctor does not speak the protocol.
  const server = createServer((c) => c.destroy())
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const up = await inRoot()
  t.same(shellLines(up.stdout), [], up.stdout)
  t.match(up.stdout, `ok broker: the session broker answers on ${socket}`)

  const agent = join(root, 'usr/local/libexec/bastion/bastion-agent')
  chmodSync(agent, 0o777)
  t.same(shellLines((await inRoot()).stdout), [`PROBLEM shell: ${agent} can be replaced by someone other than root (owner uid 0, mode 777), yet every user's container runs it as that user -- fix: chown root:root ${agent} && chmod go-w ${agent}, then find out who changed it`])
  chmodSync(agent, 0o755)

  const sudoers = join(root, 'etc/sudoers.d/bastion-shell')
  mkdirSync(dirname(sudoers), { recursive: true })
  writeFileSync(sudoers, 'ALL ALL=(root) NOPASSWD: /usr/local/libexec/bastion/shell-session\n', { mode: 0o440 })
  t.same(shellLines((await inRoot()).stdout), [`PROBLEM shell: ${sudoers}, the sudoers rule of the old sudo-based login path, is still there, a way to root that nothing needs -- fix: bastion setup shell (it removes the rule and the old shell-session runner)`])
  t.equal((await bastion(['setup', '--root', root, 'shell'], { config: cfg })).stdout, `shell: removed ${sudoers}\nsetup: 1 change`, 'the fix the line gives works')

  const elsewhere = config((d) => { d.shell.broker.runDir = join(root, 'elsewhere'); delete d.shell.agent })
  const moved = await doctor(elsewhere, ['--root', root, '--sshd-config', SSHD_CONFIG])
  t.match(shellLines(moved.stdout), [new RegExp(`^PROBLEM shell: the login shell /usr/local/bin/bastion-shell connects to ${socket}, but shell.broker.runDir puts the broker at ${root}/elsewhere/broker.sock, so logins fail -- fix: bastion setup shell`), /^PROBLEM broker: .*\(ENOENT\)/],
    'a config moved to another run directory: the login shell and the broker, one line each')

  const agentPath = config((d) => { d.shell.broker.runDir = runDir; d.shell.agent.path = '/opt/elsewhere/bastion-agent' })
  t.same(shellLines((await doctor(agentPath, ['--root', root, '--sshd-config', SSHD_CONFIG])).stdout), ['PROBLEM shell: shell.agent.path is /opt/elsewhere/bastion-agent, not the agent install.sh installs (/usr/local/libexec/bastion/bastion-agent), so containers run another binary or none -- fix: set shell.agent.path to /usr/local/libexec/bastion/bastion-agent (its default: leave it out), then systemctl restart bastion-shell-broker'])
})

t.test('a user in the docker group: one problem naming the user, with the fix', async (t) => {
  const user = `bt-setup-${tag}d`
  await execa('useradd', ['-M', '-s', '/usr/sbin/nologin', '-G', 'docker', user])
  t.teardown(() => execa('userdel', [user], { reject: false }))
  const r = await doctor(config())
  t.equal(r.exitCode, 1)
  t.same(problemLines(r.stdout), [`PROBLEM docker-group: user ${user} is in the docker group, which is root by another name -- fix: gpasswd -d ${user} docker`])
  await execa('gpasswd', ['-d', user, 'docker'])
  t.equal((await doctor(config())).exitCode, 0, 'fixed as the line says, the problem is gone')
})

t.test('clusters: a closed endpoint and a certificate the CA does not vouch for', async (t) => {
  const port = await closedPort()
  const closed = await doctor(config((d) => { d.clusters[0].endpoint = `https://127.0.0.1:${port}` }))
  t.equal(closed.exitCode, 1)
  t.same(problemLines(closed.stdout).length, 1, closed.stdout)
  t.match(closed.stdout, new RegExp(`^PROBLEM clusters: cluster testbed: https://127\\.0\\.0\\.1:${port} does not answer \\(ECONNREFUSED\\) -- fix: check clusters\\.0\\.endpoint`, 'm'))

  // A CA of our own, which never signed the API server's certificate.
  const key = join(work, 'other-ca.key')
  const crt = join(work, 'other-ca.crt')
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=bt-doctor-other-ca'])
  const wrongCa = await doctor(config((d) => { d.clusters[0].certificateAuthority = readFileSync(crt).toString('base64') }))
  t.equal(wrongCa.exitCode, 1)
  t.match(wrongCa.stdout, /^PROBLEM clusters: cluster testbed: https:\/\/127\.0\.0\.1:\d+ presents a certificate its configured CA does not vouch for \([A-Z_]+\) -- fix: update clusters\.0\.certificateAuthority/m)

  const notPem = await doctor(config((d) => { d.clusters[0].certificateAuthority = Buffer.from('hello').toString('base64') }))
  t.match(notPem.stdout, /^PROBLEM clusters: cluster testbed: clusters\.0\.certificateAuthority is not the base64 of a PEM certificate/m)
})

t.test('--help lists every check; a bad config is an error with its code', async (t) => {
  const help = await bastion(['doctor', '--help'])
  for (const w of ['docker', 'iptables', 'network', 'proxy', 'image', 'shell', 'broker', 'sshd', 'docker-group', 'homes', 'clusters', '--quiet', '--root', '--sshd-config', '--instance']) t.match(help.stdout, w)
  const instance = await doctor(config(), ['--instance', 'Bad/One'])
  t.equal(instance.exitCode, 1)
  t.match(instance.stderr, /--instance must be 1-16 lowercase letters and digits.*BASTION_ADMIN_SETUP_USAGE/)
  const bad = await doctor(config((d) => { d.shell.nope = 1 }))
  t.equal(bad.exitCode, 1)
  t.match(bad.stderr, /shell\.nope: unknown key.*BASTION_ADMIN_HOST_CONFIG_INVALID/s)
})
