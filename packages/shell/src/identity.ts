// Who is logging in, from the kernel and never from the user. The runner runs as root
// through one fixed sudoers rule; sudo records the invoking user's real uid in SUDO_UID
// (the user cannot set it: env_reset). We also require that our parent is sudo and
// that its real uid, as the kernel reports it in /proc, is that same uid.
import { readFile, readlink } from 'node:fs/promises'
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
  getuid (): number
  env: NodeJS.ProcessEnv
  ppid: number
  // /proc/<pid>/status "Uid:" real uid, and the executable of a process.
  realUidOf (pid: number): Promise<number>
  exeOf (pid: number): Promise<string>
  passwdByUid (uid: number): Promise<{ user: string, gid: number } | undefined>
  groupsOf (user: string): Promise<string[]>
}

export function systemIdentitySources (): IdentitySources {
  return {
    getuid: () => process.getuid?.() ?? -1,
    env: process.env,
    ppid: process.ppid,
    async realUidOf (pid) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8')
      return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
    },
    exeOf: (pid) => readlink(`/proc/${pid}/exe`),
    async passwdByUid (uid) {
      try {
        const { stdout } = await run('getent', ['passwd', String(uid)], { timeout: 5000 })
        const [user, , , gid] = stdout.trim().split(':')
        return user === undefined || gid === undefined ? undefined : { user, gid: Number(gid) }
      } catch {
        return undefined
      }
    },
    async groupsOf (user) {
      const { stdout } = await run('id', ['-Gn', '--', user], { timeout: 5000 })
      return stdout.trim().split(/\s+/)
    }
  }
}

export async function callerFromKernel (src: IdentitySources): Promise<Caller> {
  const fail = (why: string): never => { throw new ShellError('BASTION_SHELL_IDENTITY', why) }
  if (src.getuid() !== 0) fail('the session runner must run as root through its sudoers rule')
  const raw = src.env.SUDO_UID
  if (raw === undefined || !/^[0-9]{1,10}$/.test(raw)) fail('SUDO_UID is missing: the runner was not started by sudo')
  const uid = Number(raw)
  if (uid === 0) fail('root has no bastion container')
  const parentExe = await src.exeOf(src.ppid).catch(() => '')
  if (!/\/sudo$/.test(parentExe)) fail(`the runner's parent is ${parentExe || 'unknown'}, not sudo`)
  const parentUid = await src.realUidOf(src.ppid).catch(() => NaN)
  if (parentUid !== uid) fail(`sudo's real uid ${parentUid} differs from SUDO_UID ${uid}`)
  const pw = await src.passwdByUid(uid)
  if (pw === undefined) fail(`uid ${uid} has no passwd entry`)
  const { user, gid } = pw as { user: string, gid: number }
  return { uid, gid, user, groups: await src.groupsOf(user) }
}
