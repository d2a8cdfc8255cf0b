// sshd drop-in active: every setting of the suite's drop-in (as shipped) is what
// `sshd -T` says sshd applies with the host's sshd_config. `sshd -T` reads the files on
// disk, so an sshd that was not reloaded since is not caught here.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { effectiveSettings, inactiveSettings, parseSettings } from '../../setup/sshd.ts'
import { ok, problems, type Check } from '../check.ts'

export const sshdCheck: Check = {
  name: 'sshd',
  summary: "sshd applies the suite's drop-in (sshd -T)",
  async run (ctx) {
    const shipped = parseSettings(await readFile(join(ctx.paths.app, 'packages/shell/sshd/bastion.conf'), 'utf8'))
    const installed = await readFile(ctx.paths.sshdDropin, 'utf8').catch(() => undefined)
    const effective = await effectiveSettings(ctx.exec, ctx.sshdConfig)
    if ('error' in effective) {
      return problems([{ problem: `sshd's configuration cannot be read: ${effective.error}`, fix: `fix ${ctx.sshdConfig} until \`sshd -t -f ${ctx.sshdConfig}\` passes` }])
    }
    const inactive = inactiveSettings(shipped, effective)
    if (inactive.length === 0) return ok(`sshd applies the drop-in's ${shipped.size} settings (${ctx.sshdConfig})`)
    const fix = installed === undefined
      ? `bastion setup shell sshd (installs ${ctx.paths.sshdDropin}), then reload sshd`
      : `put \`Include ${ctx.paths.sshdDropinDir}/*.conf\` at the top of ${ctx.sshdConfig}, above any line that sets these keywords; \`bastion setup shell sshd\` restores the drop-in; then reload sshd`
    const what = installed === undefined ? `the drop-in ${ctx.paths.sshdDropin} is missing` : 'sshd does not apply the drop-in'
    return problems([{ problem: `${what}, so users could forward ports or sockets: ${inactive.join('; ')}`, fix }])
  }
}
