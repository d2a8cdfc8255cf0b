// Who is logging in, from a uid the kernel proved (broker/proof.ts) and the system's
// user database, never from anything the user can set. getent and id go through NSS,
// so accounts from LDAP or SSSD work as well as /etc/passwd.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ShellError } from './errors.ts'

const run = promisify(execFile)

export interface Caller {
  uid: number
  gid: number
  user: string
  groups: string[]
}

export interface IdentitySources {
  passwdByUid (uid: number): Promise<{ user: string, gid: number } | undefined>
  // The names of every group of the uid, primary included.
  groupsOfUid (uid: number): Promise<string[]>
}

export function systemIdentitySources (timeoutMs = 5000): IdentitySources {
  return {
    async passwdByUid (uid) {
      try {
        const { stdout } = await run('getent', ['passwd', String(uid)], { timeout: timeoutMs })
        const [user, , , gid] = stdout.trim().split('\n')[0]?.split(':') ?? []
        return user === undefined || user === '' || gid === undefined || !/^[0-9]+$/.test(gid) ? undefined : { user, gid: Number(gid) }
      } catch {
        return undefined
      }
    },
    async groupsOfUid (uid) {
      // "+N" makes id read N as a uid even if a user is named N.
      const { stdout } = await run('id', ['-Gn', `+${uid}`], { timeout: timeoutMs })
      return stdout.trim().split(/\s+/).filter((g) => g !== '')
    }
  }
}

// The caller behind a proven uid. Root never gets a container.
export async function callerFromUid (uid: number, src: IdentitySources): Promise<Caller> {
  if (!Number.isSafeInteger(uid) || uid < 0) throw new ShellError('BASTION_SHELL_IDENTITY', `uid ${String(uid)} is not a uid`)
  if (uid === 0) throw new ShellError('BASTION_SHELL_IDENTITY', 'root has no bastion container')
  const [pw, groups] = await Promise.all([src.passwdByUid(uid), src.groupsOfUid(uid).catch(() => undefined)])
  if (pw === undefined) throw new ShellError('BASTION_SHELL_IDENTITY', `uid ${uid} has no passwd entry`)
  if (groups === undefined) throw new ShellError('BASTION_SHELL_IDENTITY', `the groups of uid ${uid} (${pw.user}) could not be read`)
  return { uid, gid: pw.gid, user: pw.user, groups }
}
