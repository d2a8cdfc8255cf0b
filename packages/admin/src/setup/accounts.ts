// The host's accounts as setup and doctor see them, through getent (NSS: /etc/passwd,
// LDAP, whatever the host uses). A name that is not there is undefined; a lookup that
// fails is an error.
import { setupError } from './errors.ts'
import type { Exec } from './exec.ts'

export interface Account { name: string, uid: string, gid: string, shell: string }
export interface Group { name: string, gid: string, members: string[] }

export async function account (exec: Exec, name: string): Promise<Account | undefined> {
  const r = await exec.run('getent', ['passwd', name])
  if (r.exitCode === 2) return undefined
  const f = r.stdout.trim().split(':')
  if (r.exitCode !== 0 || f.length < 7) throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `getent passwd ${name} exited with ${r.exitCode}: ${r.stderr.trim()}`)
  return { name, uid: f[2] as string, gid: f[3] as string, shell: f[6] as string }
}

export async function group (exec: Exec, name: string): Promise<Group | undefined> {
  const r = await exec.run('getent', ['group', name])
  if (r.exitCode === 2) return undefined
  const f = r.stdout.trim().split(':')
  if (r.exitCode !== 0 || f.length < 4) throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `getent group ${name} exited with ${r.exitCode}: ${r.stderr.trim()}`)
  return { name, gid: f[2] as string, members: (f[3] as string).split(',').filter((m) => m !== '') }
}
