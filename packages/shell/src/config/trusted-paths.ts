// Paths that root writes into or runs from on behalf of users must be root's all the
// way up: a symbolic link, or a directory that someone else owns or may write, anywhere
// above them would let a user point root's writes (homes, session state, recordings)
// or the agent every container runs somewhere of their choosing.
import { lstat } from 'node:fs/promises'
import { dirname, isAbsolute, normalize } from 'node:path'
import type { ShellConfig } from './schema.ts'
import { ShellError } from '../errors.ts'

export interface AncestorRules {
  // A sticky directory writable by all (/tmp): others can only remove their own entries
  // there, enough for a file root has made, not for a directory root will make later.
  allowSticky: boolean
}

// Why `path` or a directory above it is not root's alone, or undefined. Components that
// do not exist yet are skipped (root makes them, under an ancestor that is checked).
export async function untrustedAncestor (path: string, rules: AncestorRules): Promise<string | undefined> {
  if (!isAbsolute(path) || normalize(path) !== path) return `${path} is not an absolute, normalized path`
  for (let p = path; ; p = dirname(p)) {
    const st = await lstat(p).catch(() => undefined)
    if (st !== undefined) {
      if (st.isSymbolicLink()) return `${p} is a symbolic link`
      if (!st.isDirectory()) return `${p} is not a directory`
      if (st.uid !== 0) return `${p} is not owned by root (uid ${st.uid})`
      const sticky = (st.mode & 0o1000) !== 0
      if ((st.mode & 0o022) !== 0 && !(sticky && rules.allowSticky)) return `${p} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`
    }
    if (p === '/') return undefined
  }
}

// The directories where the broker writes for users, checked before any login uses
// them: shell.homeRoot, shell.stateDir and shell.audit.recordingsDir.
export async function assertDataDirs (config: Readonly<ShellConfig>): Promise<void> {
  const dirs: Array<[string, string]> = [['shell.homeRoot', config.shell.homeRoot], ['shell.stateDir', config.shell.stateDir], ['shell.audit.recordingsDir', config.shell.audit.recordingsDir]]
  for (const [key, dir] of dirs) {
    const why = await untrustedAncestor(dir, { allowSticky: false })
    if (why !== undefined) throw new ShellError('BASTION_SHELL_CONFIG_INVALID', `${key} (${dir}) cannot be trusted: ${why}; it must be an absolute path whose every directory is root's and writable by root alone, with no symbolic link`)
  }
}
