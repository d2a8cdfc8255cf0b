// sshd as strong as the suite's drop-in: every setting of the drop-in (as shipped),
// from its forwarding switches to its algorithm lists and limits, is what sshd applies
// with the host's sshd_config, or stricter. It asks `sshd -T -C` for a member of
// shell.allowedGroup, so that a Match block that loosens a setting for the bastion's
// users is caught too. `sshd -T` reads the files on disk, so an sshd that was not
// reloaded since is not caught here.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Exec } from '../../setup/exec.ts'
import { effectiveSettings, parseSettings, weakerSettings } from '../../setup/sshd.ts'
import { ok, problems, type Check } from '../check.ts'

// A name sshd -T -C can take (its spec is comma-separated).
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/

// One user of `group`: a listed member, or else one whose primary group it is.
export async function groupMember (exec: Exec, group: string): Promise<string | undefined> {
  const g = await exec.run('getent', ['group', group], { timeoutMs: 15_000 })
  if (g.exitCode !== 0) return undefined
  const [, , gid = '', members = ''] = g.stdout.trim().split(':')
  const listed = members.split(',').find((m) => USER_NAME.test(m))
  if (listed !== undefined) return listed
  const p = await exec.run('getent', ['passwd'], { timeoutMs: 15_000 })
  if (p.exitCode !== 0) return undefined
  return p.stdout.split('\n').map((l) => l.split(':')).find((f) => f[3] === gid && USER_NAME.test(f[0] ?? ''))?.[0]
}

export const sshdCheck: Check = {
  name: 'sshd',
  summary: "sshd is as strong as the suite's drop-in for the bastion's users (sshd -T -C)",
  async run (ctx) {
    const shipped = parseSettings(await readFile(join(ctx.paths.app, 'packages/shell/sshd/bastion.conf'), 'utf8'))
    const installed = await readFile(ctx.paths.sshdDropin, 'utf8').catch(() => undefined)
    const group = ctx.config.shell.shell.allowedGroup
    const member = await groupMember(ctx.exec, group)
    const effective = await effectiveSettings(ctx.exec, ctx.sshdConfig, member === undefined ? undefined : `user=${member},host=,addr=`)
    if ('error' in effective) {
      return problems([{ problem: `sshd's configuration cannot be read: ${effective.error}`, fix: `fix ${ctx.sshdConfig} until \`sshd -t -f ${ctx.sshdConfig}\` passes` }])
    }
    const weaker = weakerSettings(shipped, effective)
    const who = member === undefined ? `no member of ${group} yet, so Match blocks were not evaluated` : `for ${member} of ${group}, Match blocks included`
    if (weaker.length === 0) return ok(`sshd applies the drop-in's ${shipped.size} settings or stricter ones (${who}; ${ctx.sshdConfig})`)
    const fix = installed === undefined
      ? `bastion setup shell sshd (installs ${ctx.paths.sshdDropin}), then reload sshd`
      : `put \`Include ${ctx.paths.sshdDropinDir}/*.conf\` at the top of ${ctx.sshdConfig}, above any line that sets these keywords, and take them out of any Match block for the bastion's users (docs/shell/sshd.md says how to widen a setting deliberately); \`bastion setup shell sshd\` restores the drop-in; then reload sshd`
    const what = installed === undefined ? `the drop-in ${ctx.paths.sshdDropin} is missing` : 'sshd does not apply the drop-in'
    return problems([{ problem: `${what}, so sshd is weaker than the suite ships it (${who}): ${weaker.join('; ')}`, fix }])
  }
}
