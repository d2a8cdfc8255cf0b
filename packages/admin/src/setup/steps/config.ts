// Step `config`: the config file is there, valid for every component (checked when it
// was loaded), and only root can change it, since root runs what it names. Setup never
// writes the file: Chef's template (or the operator) owns its content.
import { lstat, realpath } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setupError } from '../errors.ts'
import type { SetupContext, Step } from '../context.ts'

export const configStep: Step = {
  name: 'config',
  summary: 'the config file is valid for every component and only root can change it',
  plan: async (ctx) => { await checkOwnership(ctx.paths.config); return [] },
  apply: async (ctx: SetupContext) => { await checkOwnership(ctx.paths.config); return [] }
}

// The file, its real path, and every directory above both: owned by root and not
// writable by group or others (a sticky directory such as /tmp is fine).
export async function checkOwnership (file: string): Promise<void> {
  const seen = new Set<string>()
  for (const start of [file, await realpath(file)]) {
    for (let p = start; !seen.has(p); p = dirname(p)) {
      seen.add(p)
      const st = await lstat(p)
      if (!st.isSymbolicLink()) {
        const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0
        if (st.uid !== 0) throw insecure(p, 'is not owned by root')
        if (!sticky && (st.mode & 0o022) !== 0) throw insecure(p, 'is writable by group or others')
      }
      if (dirname(p) === p) break
    }
  }
}

function insecure (path: string, why: string): Error {
  return setupError('BASTION_ADMIN_HOST_CONFIG_INSECURE', `${path} ${why}, yet root runs what the config names; fix: chown root:root ${path} && chmod go-w ${path}`)
}
