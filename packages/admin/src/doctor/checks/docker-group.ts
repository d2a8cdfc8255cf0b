// No user in the docker group: membership is root by another name, and would let a user
// start a container with any IAM_ROLE (ARCHITECTURE.md, invariant 1). Members listed in
// the group and users whose primary group it is both count.
import { ok, problems, type Check, type Problem } from '../check.ts'

export const dockerGroupCheck: Check = {
  name: 'docker-group',
  summary: 'no user is in the docker group',
  async run (ctx) {
    const g = await ctx.exec.run('getent', ['group', 'docker'])
    if (g.exitCode === 2) return ok('there is no docker group')
    const fields = g.stdout.trim().split(':')
    if (g.exitCode !== 0 || fields.length < 4) return problems([{ problem: `getent group docker failed (${g.stderr.trim()})`, fix: 'check /etc/group and nsswitch.conf' }])
    const gid = fields[2] as string
    const members = new Set((fields[3] as string).split(',').filter((m) => m !== ''))
    const passwd = await ctx.exec.run('getent', ['passwd'])
    const primary = passwd.stdout.split('\n').map((l) => l.split(':')).filter((f) => f[3] === gid).map((f) => f[0] as string)
    const found: Problem[] = [
      ...[...members].map((u) => ({ problem: `user ${u} is in the docker group, which is root by another name`, fix: `gpasswd -d ${u} docker` })),
      ...primary.filter((u) => !members.has(u)).map((u) => ({ problem: `user ${u} has docker as primary group, which is root by another name`, fix: `usermod -g <another group> ${u}` }))
    ]
    return found.length === 0 ? ok('the docker group has no members') : problems(found)
  }
}
