// Step `sshd`: the drop-in that the `shell` step installed is valid (`sshd -t`) and in
// effect (`sshd -T` shows its settings, or stricter ones), and a running sshd reloads it
// when it changed.
// Setup never edits the main sshd_config: when it does not apply the drop-in (no
// Include, or an earlier line that wins), setup stops and says what to fix.
import { lstat, readFile } from 'node:fs/promises'
import { runOk } from '../exec.ts'
import { setupError } from '../errors.ts'
import { effectiveSettings, parseSettings, weakerSettings } from '../sshd.ts'
import { DROPIN_CHANGED, shippedDropin } from './shell.ts'
import type { SetupContext, Step } from '../context.ts'

async function mainConfigPresent (ctx: SetupContext): Promise<void> {
  const present = await lstat(ctx.paths.sshdConfig).then(() => true, () => false)
  if (!present) throw setupError('BASTION_ADMIN_SETUP_SSHD_INACTIVE', `there is no ${ctx.paths.sshdConfig}: install openssh-server first`)
}

async function checkActive (ctx: SetupContext): Promise<void> {
  const dropin = parseSettings(await readFile(ctx.paths.sshdDropin, 'utf8'))
  const effective = await effectiveSettings(ctx.exec, ctx.paths.sshdConfig)
  if ('error' in effective) throw setupError('BASTION_ADMIN_SETUP_SSHD_INACTIVE', effective.error)
  const problems = weakerSettings(dropin, effective)
  if (problems.length > 0) {
    throw setupError('BASTION_ADMIN_SETUP_SSHD_INACTIVE',
      `sshd does not apply ${ctx.paths.sshdDropin} (${problems.join('; ')}); fix: put \`Include ${ctx.paths.sshdDropinDir}/*.conf\` at the top of ${ctx.paths.sshdConfig}, above any line that sets these keywords`)
  }
}

export const sshdStep: Step = {
  name: 'sshd',
  summary: 'sshd applies the drop-in (sshd -t, sshd -T) and reloads when it changed',
  async plan (ctx) {
    await mainConfigPresent(ctx)
    // Until the `shell` step has put the drop-in in place there is nothing to check yet.
    const dropin = await shippedDropin(ctx)
    const installed = await readFile(ctx.paths.sshdDropin, 'utf8').catch(() => undefined)
    if (installed === undefined || installed !== dropin) return []
    await checkActive(ctx)
    return []
  },
  async apply (ctx) {
    await mainConfigPresent(ctx)
    await runOk(ctx.exec, '/usr/sbin/sshd', ['-t', '-f', ctx.paths.sshdConfig], { timeoutMs: 15_000 })
    await checkActive(ctx)
    if (!ctx.changed.has(DROPIN_CHANGED) || !ctx.systemd || ctx.paths.root !== '/') return []
    // Debian's unit is ssh.service; try-reload-or-restart leaves a stopped sshd stopped.
    await runOk(ctx.exec, 'systemctl', ['try-reload-or-restart', 'ssh.service'])
    return ['reloaded sshd (systemctl try-reload-or-restart ssh.service)']
  }
}
