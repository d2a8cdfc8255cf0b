// How the suite's root commands reach IMDS on a bastion with the host guard (the
// metadata proxy's filter OUTPUT rules): by holding the group bastion-imds, which no
// account is a member of. A command (bastion, bastion-rbacsync) adds it to its own
// supplementary groups when it starts, before any AWS call; only root can, so no user's
// process ever holds it. It changes no file ownership (the effective gid stays).
import { execFileSync } from 'node:child_process'

export const IMDS_GROUP = 'bastion-imds'

export interface ProcessGroups {
  uid (): number
  getgroups (): number[]
  setgroups (groups: number[]): void
  gid (name: string): number | undefined
}

// getent exits 2 for a name it does not know; the guard is then not set up here either.
function getentGid (name: string): number | undefined {
  try {
    const id = Number(execFileSync('getent', ['group', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[2])
    return Number.isInteger(id) ? id : undefined
  } catch {
    return undefined
  }
}

export const nodeProcessGroups: ProcessGroups = {
  uid: () => process.getuid?.() ?? -1,
  getgroups: () => process.getgroups?.() ?? [],
  setgroups: (groups) => { process.setgroups?.(groups) },
  gid: getentGid
}

/** Whether this process now holds the IMDS group: root on a host that has it. */
export function joinImdsGroup (p: ProcessGroups = nodeProcessGroups): boolean {
  if (p.uid() !== 0) return false
  const gid = p.gid(IMDS_GROUP)
  if (gid === undefined) return false
  const groups = p.getgroups()
  if (groups.includes(gid)) return true
  // Without CAP_SETGID (a unit that bounds it away) the command goes on without the
  // group, and its AWS calls fail with their own clear error.
  try {
    p.setgroups([...groups, gid])
  } catch {
    return false
  }
  return true
}
