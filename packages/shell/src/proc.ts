// What the root runner reads of host processes in /proc.

export function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// The parent pid from a /proc/<pid>/stat line. The command name may contain spaces and
// parentheses, so parse after the last ')'.
export function ppidOf (stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}
