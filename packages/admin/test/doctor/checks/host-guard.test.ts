// Check `host-guard`: the guard is on, its accounts are right, the proxy runs as its
// user, and two probes (nobody; root without bastion-imds) are refused.
import t from 'tap'
import { hostGuardCheck } from '../../../src/doctor/checks/host-guard.ts'
import { CONFIG_TEXT, hostConfig, scratchDir, type FakeHost } from '../../setup/fixtures.ts'
import { answers, doctorContext } from '../fixtures.ts'

const URL = 'http://127.0.0.1:8776/process'
type Probe = 'open' | 'refused' | 'unreachable' | 'timeout'

// The host's accounts, and what a connection to IMDS gets as nobody and as root.
function host (h: FakeHost, nobody: Probe, root: Probe): FakeHost {
  h.user('bastion-metadataproxy').group('bastion-imds', 990)
  h.handlers.push((cmd, args) => {
    if (cmd !== 'setpriv') return undefined
    const got = args.includes('--reuid=nobody') ? nobody : root
    if (got === 'timeout') throw new Error('setpriv ran past its timeout')
    if (got === 'open') return { exitCode: 0, stdout: '', stderr: '' }
    return { exitCode: 1, stdout: '', stderr: got === 'refused' ? 'bash: connect: Connection refused' : 'bash: connect: Network is unreachable' }
  })
  return h
}

function context (t: { teardown (fn: () => unknown): void }, opts: { nobody?: Probe, root?: Probe, uid?: number | 'uid-of-user', config?: string } = {}) {
  const ctx = doctorContext(scratchDir(t), {
    ...(opts.config === undefined ? {} : { config: hostConfig(opts.config) })
  })
  host(ctx.exec, opts.nobody ?? 'refused', opts.root ?? 'refused')
  const uid = opts.uid === 'uid-of-user' || opts.uid === undefined ? ctx.exec.accounts.get('bastion-metadataproxy')?.uid : opts.uid
  ctx.probe = answers({ [URL]: { status: 200, body: JSON.stringify({ pid: 7, uid, gid: uid, groups: [] }) } })
  return ctx
}

t.test('all well: ok, naming the uid and the probes, and the hop limit', async (t) => {
  const ctx = context(t)
  const f = await hostGuardCheck.run(ctx)
  t.match(f, { status: 'ok', detail: /^the guard is on; the proxy runs as uid \d+; probes as nobody and as root without bastion-imds refused\. Set the instance's IMDS hop limit to 1/ })
  const probes = ctx.exec.calls.filter((c) => c[0] === 'setpriv').map((c) => c.join(' '))
  t.same(probes, [
    'setpriv --reuid=nobody --regid=nogroup --clear-groups -- bash -c exec 3<>/dev/tcp/169.254.169.254/80',
    'setpriv --clear-groups -- bash -c exec 3<>/dev/tcp/169.254.169.254/80'
  ])
})

t.test('the guard off: one problem, with the fix', async (t) => {
  const f = await hostGuardCheck.run(context(t, { config: CONFIG_TEXT.replace('iptables: { chainPrefix: BT-UNIT }', 'iptables: { chainPrefix: BT-UNIT, hostGuard: false }') }))
  t.match(f, { status: 'problems', problems: [{ problem: /hostGuard is off: any process on this host can fetch the instance role's credentials/, fix: /hostGuard: true, then bastion setup iptables/ }] })
})

t.test('a probe that connects is a problem each', async (t) => {
  const f = await hostGuardCheck.run(context(t, { nobody: 'open', root: 'open' }))
  t.match(f, { status: 'problems', problems: [{ problem: 'a process as nobody reached IMDS (169.254.169.254:80)' }, { problem: 'a root process without bastion-imds reached IMDS (169.254.169.254:80)' }] })
})

t.test('no IMDS at all (off EC2), or a probe that hangs: ok, and says so', async (t) => {
  t.match(await hostGuardCheck.run(context(t, { nobody: 'unreachable', root: 'timeout' })), { status: 'ok', detail: /found no IMDS at all \(off EC2\?\)/ })
})

t.test('the proxy as root, or as another uid: a problem', async (t) => {
  t.match(await hostGuardCheck.run(context(t, { uid: 0 })), { status: 'problems', problems: [{ problem: /runs as root/, fix: /bastion-metadataproxy/ }] })
  t.match(await hostGuardCheck.run(context(t, { uid: 4321 })), { status: 'problems', problems: [{ problem: /runs as uid 4321, not as bastion-metadataproxy \(uid \d+\)/ }] })
})

t.test('a proxy that does not answer: the rest is still checked', async (t) => {
  const ctx = context(t)
  ctx.probe = answers({})
  t.match(await hostGuardCheck.run(ctx), { status: 'ok', detail: /the proxy not asked \(the proxy does not answer; see the proxy line\)/ })
  const zero = context(t, { config: CONFIG_TEXT.replace('metadataproxy: {', 'metadataproxy: { admin: { port: 0 },') })
  t.match(await hostGuardCheck.run(zero), { status: 'ok', detail: /not asked/ })
  const v6 = context(t, { config: CONFIG_TEXT.replace('metadataproxy: {', 'metadataproxy: { admin: { host: "::1", port: 9000 },') })
  v6.probe = answers({ 'http://[::1]:9000/process': { status: 200, body: '{"uid":0}' } })
  t.match(await hostGuardCheck.run(v6), { problems: [{ problem: /runs as root/ }] })
})

t.test('missing accounts and members of the group: a problem each', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  ctx.exec.group('bastion-imds', 990, ['mallory', 'eve'])
  ctx.exec.handlers.push((cmd) => cmd === 'setpriv' ? { exitCode: 1, stdout: '', stderr: 'Connection refused' } : undefined)
  const f = await hostGuardCheck.run(ctx)
  t.match(f, { status: 'problems', problems: [{ problem: "the proxy's system user bastion-metadataproxy does not exist", fix: 'bastion setup iptables' }, { problem: /mallory, eve are members of bastion-imds/ }] })
  const none = doctorContext(scratchDir(t))
  none.exec.user('bastion-metadataproxy').group('bastion-imds', 990, ['mallory'])
  none.exec.handlers.push((cmd) => cmd === 'setpriv' ? { exitCode: 1, stdout: '', stderr: 'Connection refused' } : undefined)
  t.match(await hostGuardCheck.run(none), { problems: [{ problem: /mallory is a member of bastion-imds/ }] })
  const nogroup = doctorContext(scratchDir(t))
  nogroup.exec.user('bastion-metadataproxy')
  nogroup.exec.handlers.push((cmd) => cmd === 'setpriv' ? { exitCode: 1, stdout: '', stderr: 'Connection refused' } : undefined)
  t.match(await hostGuardCheck.run(nogroup), { problems: [{ problem: 'the group bastion-imds does not exist' }] })
})
