// install.sh will not write over a file of the login path that someone but root could
// have changed (its trusted()): the login shell, the client, the agent and the broker's
// wrapper, and every directory above each, must be owned by root and not writable by
// group or others (a sticky directory such as /tmp is fine). Such a file may have been
// tampered with, and replacing it would hide that. Setup asks the same before it plans
// or runs anything, so that --check fails as the run would, with a code of its own.
import { lstat, realpath } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { setupError } from './errors.ts'
import { LIBEXEC_DIR, type HostPaths } from './paths.ts'

// A path as install.sh sees it inside setup's namespace: /usr/local is the root's.
function seen (paths: HostPaths, p: string): string {
  return p === '/usr/local' || p.startsWith('/usr/local/') ? join(paths.root, p) : p
}

// Why someone other than root could replace what is at this file or directory, or
// undefined: it must be root's, and writable by nobody else (a sticky directory, as
// /tmp, only lets others remove their own). bastion doctor asks the same.
export function replaceableBy (st: { uid: number, mode: number, isDirectory (): boolean }): string | undefined {
  if (st.uid !== 0) return 'is not owned by root'
  const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0
  return (st.mode & 0o022) !== 0 && !sticky ? 'is writable by group or others' : undefined
}

async function check (path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (st === undefined || st.isSymbolicLink()) return
  const why = replaceableBy(st)
  if (why === undefined) return
  throw setupError('BASTION_ADMIN_SETUP_FILE_INSECURE',
    `${path} ${why}, yet it is part of the login path (every login, every container or root runs it), so install.sh will not install over it; find out who changed it, then chown root:root ${path} && chmod go-w ${path}`)
}

export async function refuseUntrusted (paths: HostPaths): Promise<void> {
  const { bin, client, agent, broker } = paths.installed
  for (const file of [client, agent, broker, bin]) {
    await walk(file, (p) => seen(paths, p))
    // A symlink is replaced, but only if what it points to is trusted too.
    const target = await realpath(seen(paths, file)).catch(() => undefined)
    if (target !== undefined && target !== seen(paths, file)) await walk(target, (p) => p)
  }
}

// The file and every directory above it, up to /.
async function walk (start: string, where: (p: string) => string): Promise<void> {
  for (let p = start; ; p = dirname(p)) {
    // install.sh sets the owner and mode of its own directory before it checks.
    if (p !== LIBEXEC_DIR) await check(where(p))
    if (p === '/') return
  }
}
