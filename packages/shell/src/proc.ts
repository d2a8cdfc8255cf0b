// What the broker reads of host processes in /proc.
import { readFile } from 'node:fs/promises'

export function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// When a process started (clock ticks since boot, field 22 of /proc/<pid>/stat), to
// tell a process from a later one that got its pid; undefined when it is gone.
export async function startTimeOf (pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

// The parent pid from a /proc/<pid>/stat line. The command name may contain spaces and
// parentheses, so parse after the last ')'.
export function ppidOf (stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}
