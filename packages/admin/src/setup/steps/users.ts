// Step `users`: each user named with --user logs in to bastion-shell. The account must
// exist already (Chef's `user` resource, LDAP, or the operator made it, with its keys);
// setup puts it in the shell's allowedGroup (creating the group), sets its login shell,
// and takes it out of the docker group, which is root by another name
// (ARCHITECTURE.md, invariant 1). Users not named are left alone.
import { runOk, type Exec } from '../exec.ts'
import { setupError } from '../errors.ts'
import { SHELL_BIN } from '../paths.ts'
import type { SetupContext, Step } from '../context.ts'

// What useradd accepts on Debian, minus anything that could pass for an option.
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?$/
export const DOCKER_GROUP = 'docker'

export function checkUserName (name: string): void {
  if (!USER_NAME.test(name)) throw setupError('BASTION_ADMIN_SETUP_USAGE', `--user ${JSON.stringify(name)} is not a Unix user name`)
}

interface Account { name: string, gid: string, shell: string }
interface Group { name: string, gid: string, members: string[] }

async function account (exec: Exec, name: string): Promise<Account | undefined> {
  const r = await exec.run('getent', ['passwd', name])
  if (r.exitCode === 2) return undefined
  const f = r.stdout.trim().split(':')
  if (r.exitCode !== 0 || f.length < 7) throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `getent passwd ${name} exited with ${r.exitCode}: ${r.stderr.trim()}`)
  return { name, gid: f[3] as string, shell: f[6] as string }
}

async function group (exec: Exec, name: string): Promise<Group | undefined> {
  const r = await exec.run('getent', ['group', name])
  if (r.exitCode === 2) return undefined
  const f = r.stdout.trim().split(':')
  if (r.exitCode !== 0 || f.length < 4) throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `getent group ${name} exited with ${r.exitCode}: ${r.stderr.trim()}`)
  return { name, gid: f[2] as string, members: (f[3] as string).split(',').filter((m) => m !== '') }
}

interface Action { what: string, cmd: string, args: string[] }

// The commands that would bring every named user to the wanted state, in order.
async function actions (ctx: SetupContext): Promise<Action[]> {
  const allowed = ctx.config.shell.shell.allowedGroup
  const todo: Action[] = []
  const found: Account[] = []
  for (const name of ctx.users) {
    checkUserName(name)
    const a = await account(ctx.exec, name)
    if (a === undefined) throw setupError('BASTION_ADMIN_SETUP_NO_SUCH_USER', `user ${name} has no account on this host; create it first (the cookbook's users recipe does)`)
    found.push(a)
  }
  if (found.length === 0) return todo
  const g = await group(ctx.exec, allowed)
  if (g === undefined) todo.push({ what: `create group ${allowed}`, cmd: 'groupadd', args: [allowed] })
  const docker = await group(ctx.exec, DOCKER_GROUP)
  for (const a of found) {
    if (!(g?.members.includes(a.name) ?? false) && g?.gid !== a.gid) todo.push({ what: `add ${a.name} to group ${allowed}`, cmd: 'gpasswd', args: ['-a', a.name, allowed] })
    if (a.shell !== SHELL_BIN) todo.push({ what: `set the login shell of ${a.name} to ${SHELL_BIN} (was ${a.shell === '' ? 'empty' : a.shell})`, cmd: 'usermod', args: ['-s', SHELL_BIN, a.name] })
    if (docker !== undefined && docker.gid === a.gid) {
      throw setupError('BASTION_ADMIN_SETUP_USAGE', `${a.name}'s primary group is docker, which gives root; fix: usermod -g <another group> ${a.name}`)
    }
    if (docker?.members.includes(a.name) === true) todo.push({ what: `remove ${a.name} from group docker`, cmd: 'gpasswd', args: ['-d', a.name, DOCKER_GROUP] })
  }
  return todo
}

export const usersStep: Step = {
  name: 'users',
  summary: 'the --user accounts: in the allowed group, bastion-shell as login shell, not in docker',
  async plan (ctx) {
    return (await actions(ctx)).map((a) => a.what)
  },
  async apply (ctx) {
    const done: string[] = []
    for (const a of await actions(ctx)) {
      await runOk(ctx.exec, a.cmd, a.args)
      done.push(a.what.replace(/^create/, 'created').replace(/^add/, 'added').replace(/^set/, 'set').replace(/^remove/, 'removed'))
    }
    return done
  }
}
