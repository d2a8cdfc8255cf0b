// When a user's container was last used: a file per container whose mtime moves at
// each session start and end. gc measures idleness from it.
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShellConfig } from '../config/schema.ts'

export function activityFile (config: Readonly<ShellConfig>, name: string): string {
  return join(config.shell.stateDir, 'activity', name)
}

export async function touchActivity (config: Readonly<ShellConfig>, name: string): Promise<void> {
  await mkdir(join(config.shell.stateDir, 'activity'), { recursive: true, mode: 0o700 })
  const file = activityFile(config, name)
  const now = new Date()
  await utimes(file, now, now).catch(async () => { await writeFile(file, '') })
}
