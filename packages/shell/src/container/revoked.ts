// The mark of a user who lost access (revoke.ts): a file per user, dated by the first
// sweep that saw them gone, from which their home's retention is counted. A login of
// the user, let in again, removes it (container/manager.ts).
import { join } from 'node:path'
import type { ShellConfig } from '../config/schema.ts'

export function revokedMarker (config: Readonly<ShellConfig>, user: string): string {
  return join(config.shell.stateDir, 'revoked', user)
}
