// The host cannot become a user (issue 12.2): of the host's own processes only the
// metadata proxy, running as its own system user with CAP_NET_ADMIN alone, and holders
// of the group bastion-imds (the suite's root commands) reach IMDS; any other process,
// root's included, gets a reset. On the real kernel, against the bed's stand-in IMDS at
// 169.254.169.254, with a proxy of this test's own (own bridge, own chains) run as the
// shipped unit runs it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const TOKEN_URL = 'http://169.254.169.254/latest/api/token'
const uidOf = async (name: string): Promise<number> => Number((await execa('id', ['-u', name])).stdout)
const gidOf = async (name: string): Promise<number> => Number((await execa('getent', ['group', name])).stdout.split(':')[2])

// curl's exit: 0 with the stand-in's answer, 7 when the connection is refused (the
// guard's reset), 28 on a timeout. Each as a separate process with exactly these ids.
async function imdsAs (setpriv: string[]): Promise<{ exitCode: number, body: string }> {
  const r = await execa('setpriv', [...setpriv, '--', 'curl', '-s', '-m', '5', '-X', 'PUT', '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', TOKEN_URL], { reject: false })
  return { exitCode: r.exitCode ?? -1, body: String(r.stdout) }
}
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups']
const ROOT_WITHOUT_GROUP = ['--clear-groups']
const holder = async (): Promise<string[]> => [`--groups=${await gidOf('bastion-imds')}`]

// Packets this test's own chain reset: the bed's proxies have a guard of their own
// further down OUTPUT, so the count proves that this proxy's rules are the ones acting.
async function resets (chain: string): Promise<number> {
  const out = (await execa('iptables', ['-L', chain, '-v', '-x', '-n'])).stdout
  const line = out.split('\n').find((l) => l.includes('reject-with tcp-reset'))
  return Number(line?.trim().split(/\s+/)[0] ?? Number.NaN)
}

const proxy = await startProxy(t, { asProxyUser: true, iptables: { hostGuard: true, checkSeconds: 1 } })
const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string

t.test('the proxy runs as bastion-metadataproxy with CAP_NET_ADMIN alone, and says so on /process', async (t) => {
  const uid = await uidOf('bastion-metadataproxy')
  const status = readFileSync(`/proc/${String(proxy.pid())}/status`, 'utf8')
  t.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'))
  // Bit 12 is CAP_NET_ADMIN; nothing else in the effective, permitted or bounding sets.
  for (const set of ['CapEff', 'CapPrm', 'CapBnd']) t.match(status, new RegExp(`^${set}:\\s+0000000000001000$`, 'm'), set)
  const answer = await (await fetch(`${proxy.adminUrl}/process`)).json() as { uid: number }
  t.equal(answer.uid, uid)
})

t.test('the guard is in OUTPUT, first, with the accounts\' ids', async (t) => {
  const rules = (await execa('iptables', ['-S'])).stdout
  t.match(rules, `-A ${prefix}-OUT -m owner --uid-owner ${await uidOf('bastion-metadataproxy')} -j RETURN`)
  t.match(rules, `-A ${prefix}-OUT -m owner --gid-owner ${await gidOf('bastion-imds')} --suppl-groups -j RETURN`)
  t.match(rules, `-A OUTPUT -d 169.254.169.254/32 -j ${prefix}-OUT`)
  const check = await proxy.cli('iptables', 'check')
  t.equal(check.exitCode, 0, check.stdout + check.stderr)
})

t.test('a host process as nobody, and root without bastion-imds, get a reset; a holder gets IMDS', async (t) => {
  const before = await resets(`${prefix}-OUT`)
  t.equal((await imdsAs(NOBODY)).exitCode, 7, 'nobody: connection refused')
  t.equal((await imdsAs(ROOT_WITHOUT_GROUP)).exitCode, 7, 'root without the group: connection refused')
  t.ok(await resets(`${prefix}-OUT`) >= before + 2, "by this proxy's own chain")
  const ok = await imdsAs(await holder())
  t.equal(ok.exitCode, 0, 'a holder of bastion-imds reaches the stand-in IMDS')
  t.ok(ok.body.length > 0, 'and gets a token')
})

t.test('the proxy itself still reaches IMDS: a container gets a passed-through answer from it', async (t) => {
  const box = await runBox(t, proxy, { user: 'gina' })
  const token = await box.token()
  const r = await box.imds('/latest/meta-data/placement/region', { token })
  t.equal(r.status, 200, r.body)
  t.equal(r.body, 'eu-west-1', "the stand-in's answer, fetched by the proxy's own user")
})

t.test('the proxy repairs the guard as its own user: the OUTPUT jump deleted comes back', async (t) => {
  await execa('iptables', ['-D', 'OUTPUT', '-d', '169.254.169.254/32', '-j', `${prefix}-OUT`])
  let back = false
  for (let i = 0; i < 50 && !back; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    back = (await execa('iptables', ['-S', 'OUTPUT'])).stdout.includes(`-A OUTPUT -d 169.254.169.254/32 -j ${prefix}-OUT`)
  }
  t.ok(back, 'repaired within the check interval, with CAP_NET_ADMIN alone')
  t.equal((await imdsAs(NOBODY)).exitCode, 7, 'and nobody is refused again')
})

t.test('a stopped proxy leaves the guard in place: the host stays closed', async (t) => {
  await proxy.kill('SIGTERM')
  const before = await resets(`${prefix}-OUT`)
  t.equal((await imdsAs(NOBODY)).exitCode, 7)
  t.equal((await imdsAs(ROOT_WITHOUT_GROUP)).exitCode, 7)
  t.ok(await resets(`${prefix}-OUT`) >= before + 2, "by this proxy's own chain")
})

t.test('iptables remove takes the guard away with the rest', async (t) => {
  const r = await proxy.cli('iptables', 'remove')
  t.equal(r.exitCode, 0, r.stderr)
  t.notMatch((await execa('iptables', ['-S'])).stdout, `${prefix}-OUT`)
})
