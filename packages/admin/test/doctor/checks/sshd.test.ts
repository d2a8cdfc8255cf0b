// Check `sshd`: the shipped drop-in's settings, as sshd -T applies them.
import t from 'tap'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sshdCheck } from '../../../src/doctor/checks/sshd.ts'
import { APP, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const APPLIED = 'disableforwarding yes\nallowtcpforwarding no\nallowstreamlocalforwarding no\nallowagentforwarding no\nx11forwarding no\npermittunnel no\npermituserrc no\npermituserenvironment no\nacceptenv LANG\nacceptenv LC_*\nauthorizedkeyscommand /usr/local/libexec/bastion/bastion-authorized-keys %u\nauthorizedkeyscommanduser bastion-keys\n'

function ctxWith (t: Parameters<typeof scratchDir>[0], effective: string | { fail: string }, dropin = true) {
  const ctx = doctorContext(scratchDir(t))
  if (dropin) {
    mkdirSync(ctx.paths.sshdDropinDir, { recursive: true })
    writeFileSync(ctx.paths.sshdDropin, readFileSync(join(APP, 'packages/shell/sshd/bastion.conf')))
  }
  ctx.exec.handlers.push((cmd) => cmd === '/usr/sbin/sshd'
    ? typeof effective === 'string' ? { exitCode: 0, stdout: effective, stderr: '' } : { exitCode: 255, stdout: '', stderr: effective.fail }
    : undefined)
  return ctx
}

t.test('every setting applied: ok, and sshd -T was asked about the configured sshd_config', async (t) => {
  const ctx = ctxWith(t, APPLIED)
  t.same(await sshdCheck.run(ctx), { status: 'ok', detail: `sshd applies the drop-in's 11 settings (${ctx.sshdConfig})` })
  t.same(ctx.exec.calls, [['/usr/sbin/sshd', '-T', '-f', ctx.sshdConfig]])
})

t.test('drop-in missing: the problem says so and the fix installs it', async (t) => {
  const ctx = ctxWith(t, APPLIED.replace('x11forwarding no', 'x11forwarding yes'), false)
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: `the drop-in ${ctx.paths.sshdDropin} is missing, so users could forward ports or sockets: x11forwarding is yes, the drop-in says no`, fix: /^bastion setup shell sshd/ }] })
})

t.test('drop-in there but overridden: the fix is the Include line', async (t) => {
  const ctx = ctxWith(t, APPLIED.replace('acceptenv LC_*\n', 'acceptenv LC_*\nacceptenv LD_PRELOAD\n'))
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: /^sshd does not apply the drop-in, so users could forward ports or sockets: acceptenv is LANG LC_\* LD_PRELOAD/, fix: /^put `Include .*\/\*\.conf` at the top of/ }] })
})

t.test("sshd -T failing is a problem with sshd's words", async (t) => {
  const ctx = ctxWith(t, { fail: 'sshd: no hostkeys available -- exiting.' })
  t.match(await sshdCheck.run(ctx), { problems: [{ problem: /cannot be read: sshd -T -f .* exited with 255: sshd: no hostkeys available/, fix: /sshd -t -f/ }] })
})
