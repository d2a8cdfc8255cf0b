// Step `sshd`: sshd -t and sshd -T against the root's sshd_config; never an edit of it;
// a reload only when the drop-in changed on a host whose systemd runs.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { sshdStep } from '../../../src/setup/steps/sshd.ts'
import { DROPIN_CHANGED } from '../../../src/setup/steps/shell.ts'
import { hostPaths } from '../../../src/setup/paths.ts'
import { APP, APPLIED_DROPIN, DROPIN, setupContext, scratchDir } from '../fixtures.ts'

const APPLIED = APPLIED_DROPIN

function withSshd (root: string, effective: string, over: Parameters<typeof setupContext>[1] = {}) {
  const ctx = setupContext(root, over)
  mkdirSync(ctx.paths.sshdDropinDir, { recursive: true })
  writeFileSync(ctx.paths.sshdConfig, 'Include x\n')
  writeFileSync(ctx.paths.sshdDropin, DROPIN)
  ctx.exec.handlers.push((cmd, args) => {
    if (cmd === '/usr/sbin/sshd' && args[0] === '-T') return { exitCode: 0, stdout: effective, stderr: '' }
    if (cmd === '/usr/sbin/sshd' || cmd === 'systemctl') return { exitCode: 0, stdout: '', stderr: '' }
    return undefined
  })
  return ctx
}

t.test('an active drop-in: no change, sshd -t then sshd -T on the main config', async (t) => {
  const root = scratchDir(t)
  const ctx = withSshd(root, APPLIED)
  t.same(await sshdStep.plan(ctx), [])
  t.same(await sshdStep.apply(ctx), [])
  t.same(ctx.exec.calls, [['/usr/sbin/sshd', '-T', '-f', ctx.paths.sshdConfig], ['/usr/sbin/sshd', '-t', '-f', ctx.paths.sshdConfig], ['/usr/sbin/sshd', '-T', '-f', ctx.paths.sshdConfig]])
})

t.test('a setting sshd does not apply stops the step with the fix', async (t) => {
  const ctx = withSshd(scratchDir(t), APPLIED.replace('allowtcpforwarding no', 'allowtcpforwarding yes'))
  const inactive = { code: 'BASTION_ADMIN_SETUP_SSHD_INACTIVE', message: /does not apply .*bastion\.conf \(allowtcpforwarding is yes, the drop-in says no\); fix: put `Include .*\/\*\.conf` at the top of .*sshd_config/ }
  await t.rejects(sshdStep.plan(ctx), inactive)
  await t.rejects(sshdStep.apply(ctx), inactive)
})

t.test('a host stricter than the drop-in passes; one that offers a weaker MAC stops the step', async (t) => {
  const stricter = withSshd(scratchDir(t), APPLIED.replace(/^maxauthtries \d+$/m, 'maxauthtries 2').replace(/^macs .*$/m, 'macs hmac-sha2-512-etm@openssh.com'))
  t.same(await sshdStep.apply(stricter), [])
  const weaker = withSshd(scratchDir(t), APPLIED.replace(/^(macs .*)$/m, '$1,hmac-sha1'))
  await t.rejects(sshdStep.apply(weaker), { code: 'BASTION_ADMIN_SETUP_SSHD_INACTIVE', message: /\(macs also offers hmac-sha1, which the drop-in leaves out\)/ })
})

t.test('before the drop-in is installed (or while it differs) plan has nothing to check yet', async (t) => {
  const ctx = withSshd(scratchDir(t), 'allowtcpforwarding yes\n')
  writeFileSync(ctx.paths.sshdDropin, 'old drop-in\n')
  t.same(await sshdStep.plan(ctx), [])
  t.same(ctx.exec.calls, [])
})

t.test('no sshd_config: install openssh-server', async (t) => {
  const ctx = setupContext(scratchDir(t))
  await t.rejects(sshdStep.plan(ctx), { code: 'BASTION_ADMIN_SETUP_SSHD_INACTIVE', message: /there is no .*sshd_config: install openssh-server first/ })
  await t.rejects(sshdStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_SSHD_INACTIVE' })
})

t.test('sshd -t failing, or sshd -T failing, is an error with sshd\'s words', async (t) => {
  const root = scratchDir(t)
  const ctx = withSshd(root, APPLIED)
  ctx.exec.handlers.unshift((cmd, args) => cmd === '/usr/sbin/sshd' && args[0] === '-t' ? { exitCode: 255, stdout: '', stderr: 'Bad configuration option: Nope' } : undefined)
  await t.rejects(sshdStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /Bad configuration option: Nope/ })
  const other = withSshd(scratchDir(t), APPLIED)
  other.exec.handlers.unshift((cmd, args) => cmd === '/usr/sbin/sshd' && args[0] === '-T' ? { exitCode: 255, stdout: '', stderr: 'no hostkeys available' } : undefined)
  await t.rejects(sshdStep.plan(other), { code: 'BASTION_ADMIN_SETUP_SSHD_INACTIVE', message: /no hostkeys available/ })
})

t.test("sshd reloads only when the drop-in changed, systemd runs and the root is the host's", async (t) => {
  const root = scratchDir(t)
  const paths = { ...hostPaths({ root, app: APP, node: '/n', config: '/c' }), root: '/' }
  const ctx = withSshd(root, APPLIED, { paths, systemd: true })
  t.same(await sshdStep.apply(ctx), [], 'the drop-in did not change')
  ctx.changed.add(DROPIN_CHANGED)
  t.same(await sshdStep.apply(ctx), ['reloaded sshd (systemctl try-reload-or-restart ssh.service)'])
  t.same(ctx.exec.calls.at(-1), ['systemctl', 'try-reload-or-restart', 'ssh.service'])
  const noSystemd = withSshd(scratchDir(t), APPLIED, { paths, systemd: false })
  noSystemd.changed.add(DROPIN_CHANGED)
  t.same(await sshdStep.apply(noSystemd), [])
  const inRoot = withSshd(scratchDir(t), APPLIED, { systemd: true })
  inRoot.changed.add(DROPIN_CHANGED)
  t.same(await sshdStep.apply(inRoot), [])
})
