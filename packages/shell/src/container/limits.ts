// Is the user's container at its process limit? Docker still starts an exec in a
// container whose pids cgroup is full (joining a cgroup is not a fork), but the login
// shell inside could not fork anything, and the user would face a wall of "fork:
// Resource temporarily unavailable". So a login checks first and, when the container
// is full, ends with the limits message while the log gets the numbers.
import { readFile } from 'node:fs/promises'
import { ShellError } from '../errors.ts'

// The pids cgroup directory of a process, from /proc/<pid>/cgroup: cgroup v1's
// "N:pids:/path" line, else v2's unified "0::/path".
export function pidsCgroupDir (procCgroup: string): string | undefined {
  const lines = procCgroup.split('\n')
  const v1 = lines.map((l) => /^\d+:([^:]*):(\/.*)$/.exec(l)).find((m) => m?.[1]?.split(',').includes('pids'))
  if (v1?.[2] !== undefined) return `/sys/fs/cgroup/pids${v1[2]}`
  const v2 = lines.map((l) => /^0::(\/.*)$/.exec(l)).find((m) => m !== null)
  return v2?.[1] === undefined ? undefined : `/sys/fs/cgroup${v2[1]}`
}

export interface PidsUsage { current: number, max: number | 'max' }

export function parsePids (current: string, max: string): PidsUsage | undefined {
  const [c, m] = [current.trim(), max.trim()]
  if (!/^\d+$/.test(c) || !(m === 'max' || /^\d+$/.test(m))) return undefined
  return { current: Number(c), max: m === 'max' ? 'max' : Number(m) }
}

export type FileReader = (path: string) => Promise<string>

// Throws BASTION_SHELL_LIMITS_REACHED when the container of init process `pid` has no
// process left to give. Anything it cannot read is no reason to refuse a login.
export async function assertRoomForSession (pid: number, container: string, read: FileReader = (p) => readFile(p, 'utf8')): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 0) return
  const dir = pidsCgroupDir(await read(`/proc/${pid}/cgroup`).catch(() => ''))
  if (dir === undefined) return
  const [current, max] = await Promise.all([read(`${dir}/pids.current`), read(`${dir}/pids.max`)].map((p) => p.catch(() => '')))
  const usage = parsePids(current ?? '', max ?? '')
  if (usage !== undefined && usage.max !== 'max' && usage.current >= usage.max) {
    throw new ShellError('BASTION_SHELL_LIMITS_REACHED', `container ${container} runs ${usage.current} of its ${usage.max} processes (shell.limits.pids): a login could not start anything`)
  }
}
