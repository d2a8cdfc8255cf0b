// The live sessions of each container, as the broker knows them: a file per session
// naming the worker process that serves it. Recreation and gc ask here (and Docker, for
// sessions run with docker exec), never the agent, which the user could make lie.
// A file whose worker is gone (a crash, a reboot) is stale and removed when seen.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShellConfig } from '../config/schema.ts'
import { startTimeOf } from '../proc.ts'

function dirOf (config: Readonly<ShellConfig>, container: string): string {
  return join(config.shell.stateDir, 'sessions', container)
}


// Records this process as serving `session` in `container`; the returned function
// removes the record.
export async function registerSession (config: Readonly<ShellConfig>, container: string, session: string, pid = process.pid): Promise<() => Promise<void>> {
  const dir = dirOf(config, container)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, session)
  // Renamed into place: a reader never sees a half-written record and takes it for stale.
  await writeFile(`${file}.tmp`, `${pid} ${await startTimeOf(pid) ?? ''}\n`, { mode: 0o600 })
  await rename(`${file}.tmp`, file)
  return async () => { await rm(file, { force: true }) }
}

// How many sessions of `container` have a live worker, other than `exclude`. Stale
// records are removed as they are seen, unless prune is false (a reader that only
// reports, such as `bastion image status`).
export async function registeredSessions (config: Readonly<ShellConfig>, container: string, exclude?: string, prune = true): Promise<number> {
  const dir = dirOf(config, container)
  const names = await readdir(dir).catch(() => [] as string[])
  let live = 0
  for (const name of names) {
    if (name === exclude || name.endsWith('.tmp')) continue
    if (await recordLive(join(dir, name))) live++
    else if (prune) await rm(join(dir, name), { force: true })
  }
  return live
}

// Whether `session` of `container` has a live worker; read only (bastion ship asks it
// before it takes a quiet recording for one whose session died).
export async function sessionLive (stateDir: string, container: string, session: string): Promise<boolean> {
  return /^[0-9a-f]+$/.test(session) && await recordLive(join(stateDir, 'sessions', container, session))
}

async function recordLive (file: string): Promise<boolean> {
  const [pid, start] = (await readFile(file, 'utf8').catch(() => '')).trim().split(' ')
  return pid !== undefined && /^[0-9]+$/.test(pid) && start !== undefined && start !== '' && await startTimeOf(Number(pid)) === start
}
