// Step `users`: each user named with --user logs in to bastion-shell. The account must
// exist already (Chef's `user` resource, LDAP, or the operator made it, with its keys);
// setup puts it in the shell's allowedGroup (creating the group), sets its login shell,
// and takes it out of the docker group, which is root by another name
// (ARCHITECTURE.md, invariant 1). Users not named are left alone.
// For the accounts that come from IAM (`bastion users sync`), it installs what sshd's
// AuthorizedKeysCommand needs: the system user bastion-keys that sshd runs it as, and
// the command itself, /usr/local/libexec/bastion/bastion-authorized-keys.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { diffFile, putFile, type WantedFile } from '../files.ts'
import { runOk } from '../exec.ts'
import { setupError } from '../errors.ts'
import { LIBEXEC_DIR, SHELL_BIN } from '../paths.ts'
import { KEYS_USER } from '../../users/keys-cache.ts'
import { account, group, type Account } from '../accounts.ts'
import type { SetupContext, Step } from '../context.ts'

// What useradd accepts on Debian, minus anything that could pass for an option.
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?$/
export const DOCKER_GROUP = 'docker'

export function checkUserName (name: string): void {
  if (!USER_NAME.test(name)) throw setupError('BASTION_ADMIN_SETUP_USAGE', `--user ${JSON.stringify(name)} is not a Unix user name`)
}

export interface Action { what: string, cmd: string, args: string[] }

export const KEYS_COMMAND = `${LIBEXEC_DIR}/bastion-authorized-keys`

// The keys command as the suite ships it (packages/admin/host), installed under the root.
async function keysCommand (ctx: SetupContext): Promise<WantedFile> {
  const src = join(ctx.paths.app, 'packages/admin/host/bastion-authorized-keys')
  try {
    return { path: join(ctx.paths.root, KEYS_COMMAND), content: await readFile(src), mode: 0o755 }
  } catch (err) {
    throw setupError('BASTION_ADMIN_SETUP_APP_INCOMPLETE', `the suite's ${src} is missing: ${(err as Error).message}`, err)
  }
}

// The keys command's own user, when it is missing.
async function keysUserActions (ctx: SetupContext): Promise<Action[]> {
  if (await account(ctx.exec, KEYS_USER) !== undefined) return []
  return [{ what: `create system user ${KEYS_USER} (sshd runs the AuthorizedKeysCommand as it)`, cmd: 'useradd', args: ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'bastion sshd AuthorizedKeysCommand', KEYS_USER] }]
}

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
  summary: "the --user accounts: in the allowed group, bastion-shell as login shell, not in docker; and sshd's AuthorizedKeysCommand for the accounts from IAM (its user bastion-keys, the command)",
  async plan (ctx) {
    const file = await diffFile(await keysCommand(ctx))
    return [...(await actions(ctx)), ...(await keysUserActions(ctx))].map((a) => a.what).concat(file === undefined ? [] : [file])
  },
  async apply (ctx) {
    const done: string[] = []
    for (const a of [...(await actions(ctx)), ...(await keysUserActions(ctx))]) {
      await runOk(ctx.exec, a.cmd, a.args)
      done.push(a.what.replace(/^create/, 'created').replace(/^add/, 'added').replace(/^set/, 'set').replace(/^remove/, 'removed'))
    }
    const file = await putFile(await keysCommand(ctx))
    if (file !== undefined) done.push(file)
    return done
  }
}
