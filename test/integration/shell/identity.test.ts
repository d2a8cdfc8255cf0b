// Identity comes from the kernel, never from the user: the role is the configured one,
// the user's variables (NODE_OPTIONS, LD_PRELOAD, SUDO_UID, IAM_ROLE) reach neither the
// root broker nor the container, a login shell that claims another uid gets nothing,
// users are not in the docker group and cannot reach Docker, and the broker's commands
// refuse anyone but root.
import t from 'tap'
import { existsSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { execa } from 'execa'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { removeContainersOf, sessionLines, sleep } from '../../fixtures/shell.ts'
import { claimClientCopy } from '../../../packages/shell/test/fixtures/claim-client-copy.ts'
import { createServer } from 'node:http'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'
// A real library with an effect anyone can see (glibc's, so on every Debian host).
const MEMUSAGE = '/usr/lib/x86_64-linux-gnu/libmemusage.so'
// The host's address on the test bed's shell network (the containers' gateway).
const GATEWAY = '10.252.0.1'
// A login shell's side of the handshake that claims whatever uid it is told (the shell
// package's own fixture), copied where bt-alice can read it: the checkout may be in a
// 0700 directory such as /root/bastion.
const claimClient = claimClientCopy()
t.teardown(claimClient.remove)
const CLAIM_CLIENT = claimClient.path

const asUser = (user: string, argv: string[], env: Record<string, string> = {}) =>
  execa('runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { reject: false, input: '' })

t.test('the container role is the username by default, and the configured role when one is set', async (t) => {
  t.equal((await ssh('bt-alice', 'echo $IAM_ROLE')).stdout.toString(), 'bt-alice\n')
  t.equal((await ssh('bt-carol', 'echo $IAM_ROLE')).stdout.toString(), 'carol-admin\n')
})

t.test('a user cannot choose another IAM_ROLE, through SendEnv or the environment of the shell', async (t) => {
  const sent = await ssh('bt-alice', 'echo $IAM_ROLE', { extra: ['-o', 'SendEnv=IAM_ROLE'], env: { IAM_ROLE: 'bt-carol' } })
  t.equal(sent.stdout.toString(), 'bt-alice\n', 'SendEnv IAM_ROLE has no effect')
  const local = await asUser('bt-alice', [sshFacts().shellBin, '-c', 'echo $IAM_ROLE'], { IAM_ROLE: 'carol-admin', SUDO_UID: '1003', USER: 'bt-carol', LOGNAME: 'bt-carol' })
  t.equal(local.stdout, 'bt-alice', 'IAM_ROLE, SUDO_UID, USER and LOGNAME from the caller change nothing')
})

t.test('NODE_OPTIONS and LD_PRELOAD from the user never reach the root broker or the container', async (t) => {
  const marker = '/tmp/bastion-node-options-marker'
  rmSync(marker, { force: true })
  const evil = '/tmp/bastion-evil-require.cjs'
  writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, String(process.getuid()))\n`)
  chmodSync(evil, 0o644)
  t.teardown(() => { rmSync(evil, { force: true }); rmSync(marker, { force: true }) })
  // glibc's own memusage library: preloaded into any dynamic program, it prints a
  // summary on the program's stderr when it exits. The control shows it works here.
  const control = await asUser('bt-alice', ['/bin/true'], { LD_PRELOAD: MEMUSAGE })
  t.match(control.stderr, /Memory usage summary/, 'the preloaded library has an effect on the host')
  const r = await asUser('bt-alice', [sshFacts().shellBin, '-c', 'env; /bin/true'], { NODE_OPTIONS: `--require ${evil}`, LD_PRELOAD: MEMUSAGE })
  t.equal(r.exitCode, 0, r.stderr)
  t.notOk(existsSync(marker), 'the --require never ran, in the broker or anywhere')
  t.notMatch(r.stdout, /NODE_OPTIONS|LD_PRELOAD/, 'neither reaches the container')
  t.notMatch(r.stderr, /Memory usage summary|cannot be preloaded/, 'the library was loaded nowhere: not by the client, not in the container')
  // SetEnv sends LD_PRELOAD without the local ssh loading it itself.
  const sent = await ssh('bt-alice', 'env; /bin/true', { extra: ['-o', 'SendEnv=NODE_OPTIONS LANG', '-o', `SetEnv=LD_PRELOAD=${MEMUSAGE}`], env: { NODE_OPTIONS: '--inspect', LANG: 'C.UTF-8' } })
  t.notMatch(sent.stdout.toString(), /LD_PRELOAD|NODE_OPTIONS/)
  t.notMatch(sent.stderr, /Memory usage summary|cannot be preloaded/, 'nor over SendEnv and SetEnv')
  t.match(sent.stdout.toString(), /^LANG=C\.UTF-8$/m, 'allowlisted variables do arrive')
})

t.test('the broker\'s commands refuse a caller who is not root', async (t) => {
  // The wrapper names the broker's script in the suite's tree. Installed under /opt, or
  // in a readable checkout, a user can run it and it refuses them; in a checkout only
  // root may read (a 0700 /root), Node cannot even load it for them.
  const script = /\S+bastion-shell-broker\.js/.exec(readFileSync(sshFacts().broker, 'utf8'))?.[0] ?? ''
  t.ok(script.startsWith('/'), `the wrapper names the script (${script})`)
  const readable = (await asUser('bt-alice', ['/usr/bin/test', '-r', script])).exitCode === 0
  for (const command of ['serve', 'gc']) {
    const r = await asUser('bt-alice', [sshFacts().broker, command])
    if (readable) {
      t.equal(r.exitCode, 2, command)
      t.equal(r.stderr, 'bastion-shell-broker: run as root', command)
    } else {
      t.equal(r.exitCode, 1, command)
      t.match(r.stderr, `Cannot find module '${script}'`, `${command}: the user cannot load the broker at all`)
    }
  }
})

t.test('a login shell that claims another user\'s uid is refused by the kernel, and no session starts for anyone', async (t) => {
  const carol = Number((await execa('id', ['-u', 'bt-carol'])).stdout)
  const before = sessionLines().length
  const logBefore = readFileSync(SHELL_LOG, 'utf8').length
  const r = await asUser('bt-alice', ['/usr/bin/env', '-u', 'NODE_OPTIONS', process.execPath, CLAIM_CLIENT, `${sshFacts().runDir}/broker.sock`, String(carol)])
  t.match(JSON.parse(r.stdout), { step: 'prove', code: 'EACCES' }, 'the proof socket is carol\'s alone')
  // The broker gives up on the proof after its timeout, and says so.
  let logged = ''
  for (let i = 0; i < 60 && !logged.includes(`claiming uid ${carol} did not prove it`); i++) { await sleep(250); logged = readFileSync(SHELL_LOG, 'utf8').slice(logBefore) }
  t.match(logged, `the login shell claiming uid ${carol} did not prove it`)
  t.same(sessionLines().slice(before), [], 'no session started')
})

t.test('users are not in the docker group and cannot reach Docker, on the host or in the container', async (t) => {
  for (const user of ['bt-alice', 'bt-bob', 'bt-carol']) {
    const groups = (await execa('id', ['-Gn', user])).stdout.split(' ')
    t.notOk(groups.includes('docker'), `${user} is not in docker`)
  }
  const host = await asUser('bt-alice', ['curl', '-s', '--max-time', '3', '--unix-socket', '/var/run/docker.sock', 'http://docker/_ping'])
  t.not(host.exitCode, 0, 'the host socket refuses the user')
  // Something answers like the Docker API on the host's side of the bridge, so that the
  // probe below fails if the container can reach it.
  const api = createServer((_req, res) => { res.end('OK') })
  await new Promise<void>((resolve, reject) => { api.once('error', reject); api.listen(2375, GATEWAY, () => resolve()) })
  t.teardown(() => { api.close() })
  const fromHost = await execa('curl', ['-s', '--max-time', '3', `http://${GATEWAY}:2375/_ping`], { reject: false })
  t.equal(fromHost.stdout, 'OK', 'the stand-in Docker API answers on the host')
  const inside = await ssh('bt-alice', `ls /var/run/docker.sock /run/docker.sock 2>&1; curl -s --max-time 3 http://${GATEWAY}:2375/_ping; echo curl=$?`)
  t.match(inside.stdout.toString(), /No such file or directory[\s\S]*No such file or directory/, 'no Docker socket in the container')
  t.match(inside.stdout.toString(), /curl=(7|28)/, 'no Docker API over TCP either: the host\'s port on the bridge is out of reach')
  t.notMatch(inside.stdout.toString(), /OK/)
})

t.test('a user outside the allowed group gets a short refusal and no container', async (t) => {
  const r = await ssh('bt-outsider', 'true')
  t.equal(r.exitCode, 125)
  t.equal(r.stderr.trim(), 'bastion: You are not allowed to use this bastion. (BASTION_SHELL_NOT_ALLOWED)')
  const list = await execa('/usr/bin/docker', ['ps', '-aq', '--filter', 'label=bastion.user=bt-outsider'])
  t.equal(list.stdout.trim(), '')
})

t.test("inside a user's container IMDS lists that user's role, through the metadata proxy, from the first command of a cold login on", async (t) => {
  const imds = 'T=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token); curl -s -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/iam/security-credentials/'
  // The first command of a new container can race the proxy's Docker events (seen once
  // in CI); the proxy's lookupFresh closes that window, deterministically tested in
  // packages/metadataproxy/test/identity/container-index.test.ts.
  await removeContainersOf('bt-alice')
  t.equal((await ssh('bt-alice', imds)).stdout.toString(), 'bt-alice')
  t.equal((await ssh('bt-carol', imds)).stdout.toString(), 'carol-admin')
  const creds = await ssh('bt-alice', imds + 'bt-alice')
  t.match(JSON.parse(creds.stdout.toString()), { Code: 'Success', AccessKeyId: /^ASIA/ })
})
