// Check `sshd`: the shipped drop-in's settings, or stricter ones, as sshd -T -C applies
// them for a member of shell.allowedGroup.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { groupMember, sshdCheck } from '../../../src/doctor/checks/sshd.ts'
import { parseSettings } from '../../../src/setup/sshd.ts'
import { APPLIED_DROPIN as APPLIED, DROPIN, FakeHost, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const SETTINGS = parseSettings(DROPIN).size
// The unit config's shell.allowedGroup (CONFIG_TEXT).
const GROUP = 'bt-unit-users'

function ctxWith (t: Parameters<typeof scratchDir>[0], effective: string | { fail: string }, opts: { dropin?: boolean, members?: string[] } = {}) {
  const ctx = doctorContext(scratchDir(t))
  if (opts.dropin ?? true) {
    mkdirSync(ctx.paths.sshdDropinDir, { recursive: true })
    writeFileSync(ctx.paths.sshdDropin, DROPIN)
  }
  ctx.exec.group(GROUP, 1500, opts.members ?? ['alice', 'bob'])
  ctx.exec.handlers.push((cmd) => cmd === '/usr/sbin/sshd'
    ? typeof effective === 'string' ? { exitCode: 0, stdout: effective, stderr: '' } : { exitCode: 255, stdout: '', stderr: effective.fail }
    : undefined)
  return ctx
}

t.test('every setting applied: ok, and sshd -T -C was asked about a member of the allowed group', async (t) => {
  const ctx = ctxWith(t, APPLIED)
  t.same(await sshdCheck.run(ctx), { status: 'ok', detail: `sshd applies the drop-in's ${SETTINGS} settings or stricter ones (for alice of ${GROUP}, Match blocks included; ${ctx.sshdConfig})` })
  t.same(ctx.exec.calls.at(-1), ['/usr/sbin/sshd', '-T', '-f', ctx.sshdConfig, '-C', 'user=alice,host=,addr='])
})

t.test('no member of the group yet: sshd -T without -C, and the detail says Match blocks were not evaluated', async (t) => {
  const ctx = ctxWith(t, APPLIED, { members: [] })
  t.match(await sshdCheck.run(ctx), { status: 'ok', detail: new RegExp(`\\(no member of ${GROUP} yet, so Match blocks were not evaluated;`) })
  t.same(ctx.exec.calls.at(-1), ['/usr/sbin/sshd', '-T', '-f', ctx.sshdConfig])
})

t.test('a weakened host: each weaker setting is named, with the fix', async (t) => {
  const weak = APPLIED
    .replace(/^(kexalgorithms .*)$/m, '$1,ecdh-sha2-nistp256')
    .replace(/^maxauthtries \d+$/m, 'maxauthtries 10')
    .replace(/^logingracetime \d+$/m, 'logingracetime 0')
  const ctx = ctxWith(t, weak)
  const r = await sshdCheck.run(ctx)
  t.match(r, { status: 'problems', problems: [{ problem: /^sshd does not apply the drop-in, so sshd is weaker than the suite ships it \(for alice of bt-unit-users, Match blocks included\): kexalgorithms also offers ecdh-sha2-nistp256, which the drop-in leaves out; logingracetime is 0, the drop-in says 30 \(no limit\); maxauthtries is 10, the drop-in says 4 \(higher\)$/, fix: /take them out of any Match block/ }] })
})

t.test('drop-in missing: the problem says so and the fix installs it', async (t) => {
  const ctx = ctxWith(t, APPLIED.replace('x11forwarding no', 'x11forwarding yes'), { dropin: false })
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: `the drop-in ${ctx.paths.sshdDropin} is missing, so sshd is weaker than the suite ships it (for alice of ${GROUP}, Match blocks included): x11forwarding is yes, the drop-in says no`, fix: /^bastion setup shell sshd/ }] })
})

t.test('drop-in there but overridden: the fix is the Include line', async (t) => {
  const ctx = ctxWith(t, APPLIED.replace('acceptenv LC_*\n', 'acceptenv LC_*\nacceptenv LD_PRELOAD\n'))
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: /^sshd does not apply the drop-in, so sshd is weaker .*: acceptenv is LANG LC_\* LD_PRELOAD BASTION_REASON, the drop-in says LANG LC_\* BASTION_REASON \(also LD_PRELOAD\)$/, fix: /^put `Include .*\/\*\.conf` at the top of/ }] })
})

t.test("sshd -T failing is a problem with sshd's words", async (t) => {
  const ctx = ctxWith(t, { fail: 'sshd: no hostkeys available -- exiting.' })
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: /cannot be read: sshd -T -f .* -C user=alice,host=,addr= exited with 255: sshd: no hostkeys available/, fix: /sshd -t -f/ }] })
})

t.test('a member of the group: a listed one, else one whose primary group it is, never a name -C cannot take', async (t) => {
  const host = new FakeHost().group('ops', 1600, ['host=evil', 'carol']).group('team', 1700).group('empty', 1800)
  host.user('dave', '/bin/bash', 1700)
  t.equal(await groupMember(host, 'ops'), 'carol')
  t.equal(await groupMember(host, 'team'), 'dave')
  t.equal(await groupMember(host, 'empty'), undefined)
  t.equal(await groupMember(host, 'nosuch'), undefined)
  host.handlers.push((cmd, args) => cmd === 'getent' && args[0] === 'passwd' ? { exitCode: 2, stdout: '', stderr: '' } : undefined)
  t.equal(await groupMember(host, 'team'), undefined, 'no passwd database: no member')
})
