// The sshd side of the bastion, on the test bed's own sshd with the suite's drop-in
// (packages/shell/sshd/bastion.conf) and the real OpenSSH client: nothing sshd would do
// as the user on the host (forwarding, ~/.ssh/rc, environment) gets through, install.sh
// is idempotent, and bastion users cannot reach the Docker API. bt-plain (/bin/bash)
// stands in where a working login shell is needed, `ssh -N` (no shell) elsewhere.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chownSync, mkdirSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { SSH, SCP, SFTP, RSYNC, interactive, remote, rsyncSshCommand, scpArgs, sftpArgs, ssh, sshArgs, sshFacts } from '../../fixtures/ssh.ts'

const facts = sshFacts()
const REPO = join(import.meta.dirname, '../../..')
const INSTALL = join(REPO, 'packages/shell/host/install.sh')
const INSTALL_ARGS = ['--root', REPO, '--node', facts.installNode, '--config', facts.installConfig, '--run-dir', facts.runDir, '--instance', facts.instance, '--sshd-dropin', facts.dropinDir]
const INSTALLED = [facts.shellBin, facts.client, facts.agent, facts.broker, '/etc/shells', join(facts.dropinDir, 'bastion.conf')]
// Forward attempts must fail fast; a forward that works would keep ssh -N running.
const FORWARD_TIMEOUT = 10_000

const work = mkdtempSync(join(tmpdir(), 'bastion-sshd-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

interface Target { server: Server, port: number, connections: () => number }

// A TCP server on loopback that only counts who reaches it.
async function target (): Promise<Target> {
  let n = 0
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    n++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.end('hello from the target\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  // close() waits for open connections, which a working forward would keep open.
  t.teardown(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  return { server, port: addr.port, connections: () => n }
}

// ssh -N with forwarding options, left running; its stderr is collected as it comes.
function background (extra: string[]): { stderr: () => string, waitStderr: (re: RegExp) => Promise<void> } {
  // LogLevel INFO first (ssh keeps the first value), so the client prints the refusal.
  const proc = execa(SSH, sshArgs('bt-plain', ['-o', 'LogLevel=INFO', '-N', '-o', 'ExitOnForwardFailure=yes', ...extra]), { reject: false, timeout: 30_000, stdin: 'ignore' })
  t.teardown(() => { proc.kill() })
  let err = ''
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const waitStderr = async (re: RegExp): Promise<void> => {
    for (let i = 0; i < 100 && !re.test(err); i++) await sleep(100)
  }
  return { stderr: () => err, waitStderr }
}

async function waitForPath (path: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(path)) return true
    await sleep(100)
  }
  return false
}

// Connect to a unix socket, send one request, return what came back before it closed.
function exchange (path: string, request: string): Promise<string> {
  return new Promise((resolve) => {
    let got = ''
    const s = connect(path, () => s.write(request))
    s.on('data', (d) => { got += d.toString() })
    s.on('error', () => resolve(got))
    s.on('close', () => resolve(got))
    s.setTimeout(5_000, () => s.destroy())
  })
}

const sshdLogSince = (offset: number): string => readFileSync(facts.sshdLog, 'utf8').slice(offset)
const sshdLogSize = (): number => statSync(facts.sshdLog).size

t.test('a local TCP forward (-L) is refused and no connection reaches its target', async (t) => {
  const tgt = await target()
  const logAt = sshdLogSize()
  // The client listens on a unix socket of ours rather than a guessed TCP port; the
  // request sshd gets (direct-tcpip to 127.0.0.1:port) is the same either way.
  const listen = join(work, 'l-tcp.sock')
  const bg = background(['-L', `${listen}:127.0.0.1:${tgt.port}`])
  t.ok(await waitForPath(listen), 'ssh listens locally for the forward')
  const answer = await exchange(listen, 'GET / HTTP/1.0\r\n\r\n')
  t.equal(answer, '', 'nothing comes back through the forward')
  await bg.waitStderr(/administratively prohibited/)
  t.match(bg.stderr(), /open failed: administratively prohibited/)
  t.match(sshdLogSince(logAt), new RegExp(`refused local port forward: .*target 127\\.0\\.0\\.1 port ${tgt.port}`))
  t.equal(tgt.connections(), 0, 'the target saw no connection')
})

t.test('stdio forwarding (-W, the same request as -L) is refused and ssh exits non-zero', async (t) => {
  const tgt = await target()
  const r = await execa(SSH, sshArgs('bt-plain', ['-o', 'ExitOnForwardFailure=yes', '-W', `127.0.0.1:${tgt.port}`]), { reject: false, timeout: FORWARD_TIMEOUT, stdin: 'ignore' })
  t.equal(r.exitCode, 255)
  t.match(r.stderr, /stdio forwarding failed/)
  t.equal(String(r.stdout), '', 'no byte of the target came back')
  t.equal(tgt.connections(), 0)
})

t.test('a remote forward (-R) is refused and ssh exits non-zero', async (t) => {
  const tgt = await target()
  const r = await execa(SSH, sshArgs('bt-plain', ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${tgt.port}`]), { reject: false, timeout: FORWARD_TIMEOUT, stdin: 'ignore' })
  t.equal(r.exitCode, 255)
  t.match(r.stderr, /remote port forwarding failed for listen port 0/)
  t.equal(tgt.connections(), 0)
})

t.test('a dynamic forward (-D) is refused: a SOCKS client gets nowhere', async (t) => {
  const tgt = await target()
  // -D takes only a TCP port: borrow a free one from the kernel.
  const probe = await target()
  const socksPort = probe.port
  await new Promise<void>((resolve) => probe.server.close(() => resolve()))
  const bg = background(['-D', `127.0.0.1:${socksPort}`])
  let curl = { exitCode: -1, stdout: '' }
  for (let i = 0; i < 50; i++) {
    const r = await execa('curl', ['-sS', '-m', '5', '--socks5-hostname', `127.0.0.1:${socksPort}`, `http://127.0.0.1:${tgt.port}/`], { reject: false })
    curl = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout) }
    if (curl.exitCode !== 7) break // 7: ssh is not listening yet
    await sleep(100)
  }
  t.equal(curl.exitCode, 97, 'curl: the SOCKS proxy closed the connection')
  t.equal(curl.stdout, '')
  await bg.waitStderr(/administratively prohibited/)
  t.match(bg.stderr(), /open failed: administratively prohibited/)
  t.equal(tgt.connections(), 0)
})

t.test('forwarding to /var/run/docker.sock is refused either way', async (t) => {
  t.test('-R: sshd creates no socket on the host', async (t) => {
    const path = `/tmp/bastion-fwd-${randomBytes(4).toString('hex')}.sock`
    t.teardown(() => rmSync(path, { force: true }))
    const r = await execa(SSH, sshArgs('bt-plain', ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:/var/run/docker.sock`]), { reject: false, timeout: FORWARD_TIMEOUT, stdin: 'ignore' })
    t.equal(r.exitCode, 255)
    t.match(r.stderr, `remote port forwarding failed for listen path ${path}`)
    t.notOk(existsSync(path), `${path} does not exist`)
  })
  t.test('-L: the Docker API never answers through the forward', async (t) => {
    const logAt = sshdLogSize()
    const listen = join(work, 'l-docker.sock')
    const bg = background(['-L', `${listen}:/var/run/docker.sock`])
    t.ok(await waitForPath(listen))
    const answer = await exchange(listen, 'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n')
    t.equal(answer, '', 'no answer from the Docker API')
    await bg.waitStderr(/open failed/)
    t.match(bg.stderr(), /channel \d+: open failed/)
    t.match(sshdLogSince(logAt), /refused streamlocal port forward: .*target \/var\/run\/docker\.sock/)
  })
})

t.test('~/.ssh/rc is not run', async (t) => {
  const home = '/home/bt-plain'
  const marker = `/tmp/bastion-rc-${randomBytes(4).toString('hex')}`
  const rc = join(home, '.ssh/rc')
  writeFileSync(rc, `touch ${marker}\n`, { mode: 0o644 })
  const { uid, gid } = statSync(home)
  chownSync(rc, uid, gid)
  t.teardown(() => { rmSync(rc, { force: true }); rmSync(marker, { force: true }) })
  const r = await ssh('bt-plain', 'true')
  t.equal(r.exitCode, 0, r.stderr)
  t.notOk(existsSync(marker), 'the marker file was not created')
})

t.test('~/.ssh/environment is not read', async (t) => {
  const env = '/home/bt-plain/.ssh/environment'
  writeFileSync(env, 'BASTION_USER_ENV=from-the-file\n', { mode: 0o600 })
  const { uid, gid } = statSync('/home/bt-plain')
  chownSync(env, uid, gid)
  t.teardown(() => rmSync(env, { force: true }))
  const r = await ssh('bt-plain', 'printenv BASTION_USER_ENV')
  t.equal(r.exitCode, 1)
  t.equal(r.stdout.toString(), '')
})

t.test('the client can send LANG but not LD_PRELOAD', async (t) => {
  const preload = await ssh('bt-plain', 'printenv LD_PRELOAD', { extra: ['-o', 'SendEnv=LD_PRELOAD'], env: { LD_PRELOAD: '/tmp/whatever' } })
  t.equal(preload.exitCode, 1, 'printenv found no LD_PRELOAD')
  t.equal(preload.stdout.toString(), '')
  const lang = await ssh('bt-plain', 'printenv LANG', { extra: ['-o', 'SendEnv=LANG'], env: { LANG: 'C.UTF-8' } })
  t.equal(lang.exitCode, 0, lang.stderr)
  t.equal(lang.stdout.toString(), 'C.UTF-8\n')
  // Control: without SendEnv the value does not arrive, so it did come from the client.
  const unsent = await ssh('bt-plain', 'printenv LANG', { env: { LANG: 'C.UTF-8' } })
  t.not(unsent.stdout.toString(), 'C.UTF-8\n')
})

t.test("the test sshd's effective config turns every forwarding off and serves sftp from the login shell", async (t) => {
  const r = await execa('/usr/sbin/sshd', ['-T', '-f', facts.sshdConfig, '-C', 'user=bt-alice,host=localhost,addr=127.0.0.1'])
  const lines = r.stdout.split('\n')
  for (const line of ['disableforwarding yes', 'allowtcpforwarding no', 'allowstreamlocalforwarding no', 'allowagentforwarding no',
    'x11forwarding no', 'permittunnel no', 'permituserrc no', 'permituserenvironment no', 'acceptenv LANG', 'acceptenv LC_*', 'acceptenv BASTION_REASON']) {
    t.ok(lines.includes(line), line)
  }
  t.same(lines.filter((l) => l.startsWith('acceptenv ')), ['acceptenv LANG', 'acceptenv LC_*', 'acceptenv BASTION_REASON'], 'no other AcceptEnv')
  t.same(lines.filter((l) => l.startsWith('subsystem ')), ['subsystem sftp /usr/lib/openssh/sftp-server'])
  t.notMatch(r.stdout, /internal-sftp/)
})

t.test("the drop-in works under Debian's stock sshd_config and overrides its X11Forwarding yes", async (t) => {
  // Debian's pristine sshd_config, with its Include pointed at our drop-in directory.
  const stock = readFileSync('/usr/share/openssh/sshd_config', 'utf8')
  t.match(stock, /^X11Forwarding yes$/m, 'the stock file does turn X11 forwarding on')
  const main = join(work, 'sshd_config')
  writeFileSync(main, stock.replace(/^Include .*$/m, `Include ${facts.dropinDir}/*.conf`))
  const hostKey = readFileSync(facts.sshdConfig, 'utf8').match(/^HostKey (.+)$/m)?.[1] ?? ''
  const r = await execa('/usr/sbin/sshd', ['-T', '-f', main, '-o', `HostKey=${hostKey}`, '-C', 'user=bt-alice,host=localhost,addr=127.0.0.1'], { reject: false })
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout, /^x11forwarding no$/m)
  t.match(r.stdout, /^allowtcpforwarding no$/m)
  t.same(r.stdout.split('\n').filter((l) => l.startsWith('subsystem ')), ['subsystem sftp /usr/lib/openssh/sftp-server'])
})

async function snapshot (): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const f of INSTALLED) {
    const st = statSync(f, { bigint: true })
    out[f] = `${createHash('sha256').update(readFileSync(f)).digest('hex')} mtime=${st.mtimeNs} mode=${(st.mode & 0o7777n).toString(8)} uid=${st.uid}`
  }
  return out
}

t.test('install.sh run again prints nothing and changes no file', async (t) => {
  const first = await execa('bash', [INSTALL, ...INSTALL_ARGS], { reject: false })
  t.equal(first.exitCode, 0, first.stderr)
  const before = await snapshot()
  const second = await execa('bash', [INSTALL, ...INSTALL_ARGS], { reject: false })
  t.equal(second.exitCode, 0, second.stderr)
  t.equal(second.stdout, '')
  t.equal(second.stderr, '')
  t.same(await snapshot(), before)
})

t.test('install.sh reports each change: a new drop-in directory gets one line per step, then none', async (t) => {
  const dir = join(work, 'dropin')
  const args = [...INSTALL_ARGS.slice(0, -1), dir]
  const first = await execa('bash', [INSTALL, ...args])
  t.same(first.stdout.split('\n'), [`bastion-shell install: created ${dir}`, `bastion-shell install: wrote ${dir}/bastion.conf`])
  t.equal(readFileSync(join(dir, 'bastion.conf'), 'utf8'), readFileSync(join(REPO, 'packages/shell/sshd/bastion.conf'), 'utf8'))
  const second = await execa('bash', [INSTALL, ...args])
  t.equal(second.stdout, '')
})

t.test('the installed files match the contract', async (t) => {
  const mode = (f: string): string => (statSync(f).mode & 0o7777).toString(8)
  for (const f of [facts.shellBin, facts.client, facts.agent, facts.broker]) t.equal(mode(f), '755', f)
  for (const f of INSTALLED) t.equal(statSync(f).uid, 0, `${f} is root's`)
  t.ok(readFileSync('/etc/shells', 'utf8').split('\n').includes(facts.shellBin), 'listed in /etc/shells')
  const native = join(REPO, 'packages/shell/dist/native')
  t.ok(readFileSync(facts.client).equals(readFileSync(join(native, 'bastion-shell-client'))), 'the client is the built one')
  t.ok(readFileSync(facts.agent).equals(readFileSync(join(native, 'bastion-agent'))), 'the agent is the built one')
  const wrapper = readFileSync(facts.broker, 'utf8')
  t.match(wrapper, `\nexec /usr/bin/env -u NODE_OPTIONS -u NODE_PATH -u LD_PRELOAD -u LD_LIBRARY_PATH BASTION_CONFIG=${facts.installConfig} BASTION_SHELL_RUN_DIR=${facts.runDir} ${facts.installNode} --disable-warning=ExperimentalWarning ${REPO}/packages/shell/dist/bin/bastion-shell-broker.js "$@"\n`)
  t.notMatch(wrapper, /@[A-Z]+@/, 'every placeholder was filled in')
  const login = readFileSync(facts.shellBin, 'utf8')
  t.match(login, `\nclient=${facts.client}\nbroker=${facts.broker}\nsocket=${facts.runDir}/broker.sock\n`, 'the login shell names this instance\'s client, broker and socket')
})

t.test('there is no sudo path: no sudoers rule of ours, and a bastion user may run nothing as root', async (t) => {
  t.notOk(existsSync(`/etc/sudoers.d/bastion-shell-${facts.instance}`), 'the old rule is gone')
  t.notOk(existsSync(`/usr/local/libexec/bastion/shell-session-${facts.instance}`), 'the old runner is gone')
  if (!existsSync('/usr/bin/sudo')) return
  for (const user of ['bt-alice', 'bt-outsider']) {
    const l = await execa('/usr/bin/sudo', ['-n', '-l', '-U', user], { reject: false })
    t.notMatch(l.stdout, /NOPASSWD|bastion/, `${user} may run nothing through sudo`)
  }
})

t.test('install.sh removes what the sudo path of earlier versions left', async (t) => {
  const legacy = [`/etc/sudoers.d/bastion-shell-${facts.instance}`, `/usr/local/libexec/bastion/shell-session-${facts.instance}`]
  // A host upgraded from the sudo path has /etc/sudoers.d; a fresh one (no sudo) has none.
  if (!existsSync('/etc/sudoers.d')) {
    mkdirSync('/etc/sudoers.d', { mode: 0o750 })
    t.teardown(() => rmSync('/etc/sudoers.d', { recursive: true, force: true }))
  }
  writeFileSync(legacy[0]!, '# an old rule\n', { mode: 0o440 })
  writeFileSync(legacy[1]!, '#!/bin/sh\n', { mode: 0o755 })
  t.teardown(() => { for (const f of legacy) rmSync(f, { force: true }) })
  const r = await execa('bash', [INSTALL, ...INSTALL_ARGS])
  t.same(r.stdout.split('\n'), legacy.map((f) => `bastion-shell install: removed ${f}`))
  for (const f of legacy) t.notOk(existsSync(f), `${f} is gone`)
})

t.test('install.sh refuses a run directory too long for the socket paths under it', async (t) => {
  const args = INSTALL_ARGS.map((a) => a === facts.runDir ? `/run/${'x'.repeat(60)}` : a)
  const r = await execa('bash', [INSTALL, ...args], { reject: false })
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /--run-dir must be at most 60 characters/)
})

t.test('bt-alice is not in the docker group and cannot reach the Docker socket', async (t) => {
  const groups = (await execa('id', ['-nG', 'bt-alice'])).stdout.split(' ')
  t.ok(groups.includes('bastion-users'), 'in bastion-users')
  t.notOk(groups.includes('docker'), 'not in docker')
  // Control: the socket does answer, so a failure below is about permission.
  const asRoot = await execa('curl', ['-sS', '-m', '5', '--unix-socket', '/var/run/docker.sock', 'http://x/_ping'], { reject: false })
  t.equal(asRoot.stdout, 'OK')
  const r = await execa('runuser', ['-u', 'bt-alice', '--', 'curl', '-sS', '-v', '-m', '5', '--unix-socket', '/var/run/docker.sock', 'http://x/_ping'], { reject: false })
  t.equal(r.exitCode, 7)
  t.match(r.stderr, /docker\.sock: Permission denied/)
  t.equal(r.stdout, '')
})

t.test('the hardening leaves a terminal session working: a pty that follows window resizes', async (t) => {
  const s = interactive('bt-plain', { cols: 100, rows: 30 })
  t.teardown(() => s.kill())
  s.write('stty size\n')
  await s.waitFor(/\b30 100\r\n/)
  s.resize(120, 40)
  await sleep(200) // the window change travels to sshd, then to the remote pty
  s.write('stty size\n')
  await s.waitFor(/\b40 120\r\n/)
  s.write('exit 3\n')
  t.same(await s.exit, { exitCode: 3, signal: 0 })
})

t.test('the hardening leaves file transfer working: scp, sftp and rsync round trips', async (t) => {
  const data = randomBytes(256 * 1024)
  const local = join(work, 'payload.bin')
  writeFileSync(local, data)
  const name = `bastion-xfer-${randomBytes(4).toString('hex')}`
  t.teardown(() => rmSync(`/home/bt-plain/${name}`, { recursive: true, force: true }))

  await execa(SCP, [...scpArgs(), local, remote('bt-plain', `${name}.scp`)])
  const back = join(work, 'back')
  mkdirSync(back)
  await execa(SFTP, sftpArgs('bt-plain', ['-b', '-']), { input: `mkdir ${name}\nput ${local} ${name}/payload.bin\nget ${name}.scp ${back}/scp.bin\n` })
  await execa(RSYNC, ['-a', '-e', rsyncSshCommand(), remote('bt-plain', `${name}/`), `${back}/rsync/`])
  t.ok(readFileSync(join(back, 'scp.bin')).equals(data), 'scp up, sftp down')
  t.ok(readFileSync(join(back, 'rsync/payload.bin')).equals(data), 'sftp up, rsync down')
  const cat = await ssh('bt-plain', `cat ${name}.scp`)
  t.ok(cat.stdout.equals(data), 'ssh stdout is byte-exact')
  t.teardown(() => rmSync(`/home/bt-plain/${name}.scp`, { force: true }))
})
