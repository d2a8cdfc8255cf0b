// Leaving takes everything away (issue 11, item 5): a user who is no longer in
// shell.allowedGroup, or no longer on the host, loses their container within
// shell.revokeCheckSeconds, and with it every live session and every process they left
// behind (`setsid -f` included: removing a container kills all of it), which also
// ends the metadata proxy's issuing to it, since the proxy answers only containers
// that exist. Their home is kept, owned by root so that nothing of theirs can use it,
// for shell.revokedHomeDays, then removed. A user let back in gets it back at their
// next login (container/manager.ts gives the home to its user).
//
// The broker runs this sweep (broker/cli.ts). A lookup that fails (NSS down) decides
// nothing: that user is looked at again at the next sweep.
import { execFile } from 'node:child_process'
import { chmod, chown, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Logger } from 'pino'
import type { Engine } from './docker/engine.ts'
import type { ShellConfig } from './config/schema.ts'
import { LABEL_CONFIG, LABEL_USER, onNetwork } from './container/spec.ts'
import { lockContainer } from './container/manager.ts'
import { containerName } from './container/name.ts'
import { revokedMarker } from './container/revoked.ts'
import { startTimeOf } from './proc.ts'
import { controlSocket, hangUpSessions } from './broker/worker-control.ts'
import { existsSync } from 'node:fs'
import { imageOf, releaseHome, type HomeHost } from './container/home-image.ts'
import { systemHomeHost } from './container/home-host.ts'

const run = promisify(execFile)

export type Access = 'allowed' | 'denied' | 'unknown'

// Whether a user (by name) may still log in: on the host and in the group.
export interface AccessSource {
  // Whether the group itself exists: without it every user would look denied, which
  // is a misconfiguration or a directory outage, never a reason to remove everyone.
  groupExists (group: string): Promise<boolean>
  accessOf (user: string, group: string): Promise<Access>
}

export function systemAccessSource (timeoutMs = 5000): AccessSource {
  return {
    async groupExists (group) {
      return run('getent', ['group', group], { timeout: timeoutMs }).then(() => true, () => false)
    },
    async accessOf (user, group) {
      try {
        await run('getent', ['passwd', user], { timeout: timeoutMs })
      } catch (err) {
        // getent exits 2 for a name it does not know; anything else is a failure.
        return (err as { code?: unknown }).code === 2 ? 'denied' : 'unknown'
      }
      try {
        const { stdout } = await run('id', ['-Gn', '--', user], { timeout: timeoutMs })
        return stdout.trim().split(/\s+/).includes(group) ? 'allowed' : 'denied'
      } catch {
        return 'unknown'
      }
    }
  }
}

export interface SweepResult {
  // Users whose container was removed in this sweep.
  revoked: string[]
  // Homes removed because their retention had passed.
  homesRemoved: string[]
}

// homeHost: mount and umount, for homes that are images (container/home-image.ts).
export async function revokeSweep (docker: Engine, config: Readonly<ShellConfig>, access: AccessSource, log: Logger, nowMs = Date.now(), homeHost: HomeHost = systemHomeHost(config.shell.stepTimeoutMs)): Promise<SweepResult> {
  const s = config.shell
  const result: SweepResult = { revoked: [], homesRemoved: [] }
  if (!await access.groupExists(s.allowedGroup)) {
    log.error({ group: s.allowedGroup }, 'shell.allowedGroup does not exist (or the user directory does not answer): no one is revoked until it does')
    return result
  }
  // The shell's own containers only: labelled with its configuration, named for their
  // user and on its network, as container/manager.ts makes them. Another instance on
  // this host (install.sh --instance, another network) judges its own by its own group.
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_USER, LABEL_CONFIG] } })
  const byUser = new Map<string, string[]>()
  for (const c of containers) {
    if (!onNetwork(c, config)) continue
    const user = c.Labels[LABEL_USER]
    if (user === undefined || user === '' || !c.Names.includes(`/${containerName(user)}`)) continue
    byUser.set(user, [...(byUser.get(user) ?? []), c.Id])
  }
  // Not .images, the homes' images: no user name starts with a dot (manager.ts).
  const homes = (await readdir(s.homeRoot).catch(() => [] as string[])).filter((h) => !h.startsWith('.'))
  for (const user of new Set([...byUser.keys(), ...homes])) {
    const verdict = await access.accessOf(user, s.allowedGroup)
    if (verdict === 'unknown') {
      log.warn({ user }, 'could not tell whether the user may still log in; looking again at the next sweep')
      continue
    }
    if (verdict === 'allowed') continue
    // One user whose container or home cannot be handled must not stop the others.
    try {
      const ids = byUser.get(user) ?? []
      if (ids.length > 0) {
        await revokeContainers(docker, config, user, ids, log)
        result.revoked.push(user)
      }
      if (homes.includes(user) && await keepOrRemoveHome(config, user, nowMs, log, homeHost)) result.homesRemoved.push(user)
    } catch (err) {
      log.error({ err, user }, 'could not take away the access of a user who lost it; trying again at the next sweep')
    }
  }
  return result
}

// Removes the user's containers, which kills everything in them, then hangs up the
// workers that served their sessions, so every session ends at once.
async function revokeContainers (docker: Engine, config: Readonly<ShellConfig>, user: string, ids: string[], log: Logger): Promise<void> {
  const name = containerName(user)
  const release = await lockContainer(config, name)
  try {
    for (const id of ids) await docker.getContainer(id).remove({ force: true })
    const workers = await hangUpWorkers(config, name)
    log.warn({ user, container: name, sessions: workers }, 'access revoked: the user is no longer allowed; removed their container and ended their sessions')
  } finally {
    await release()
  }
}

// The container's live sessions (session/registry.ts), ended at once by the workers
// that serve them, through each worker's control socket: the other sessions a worker
// serves go on. A worker without one (a version that served a single session) is sent
// SIGHUP. A record whose worker is gone is left to the registry.
async function hangUpWorkers (config: Readonly<ShellConfig>, container: string): Promise<number> {
  const dir = join(config.shell.stateDir, 'sessions', container)
  const byWorker = new Map<number, string[]>()
  for (const session of await readdir(dir).catch(() => [] as string[])) {
    if (session.endsWith('.tmp')) continue
    const [pid, start] = (await readFile(join(dir, session), 'utf8').catch(() => '')).trim().split(' ')
    if (pid === undefined || !/^[0-9]+$/.test(pid) || start === undefined || start === '') continue
    if (await startTimeOf(Number(pid)) !== start) continue
    byWorker.set(Number(pid), [...byWorker.get(Number(pid)) ?? [], session])
  }
  let count = 0
  for (const [pid, sessions] of byWorker) {
    const socket = controlSocket(config.shell.broker.runDir, pid)
    if (!existsSync(socket)) {
      try { process.kill(pid, 'SIGHUP'); count += sessions.length } catch { /* already gone */ }
      continue
    }
    // A worker that does not answer loses these sessions anyway: their container is gone.
    count += await hangUpSessions(socket, sessions) ?? 0
  }
  return count
}

// A departed user's home: given to root (mode 0700) and dated on the first sweep that
// sees them gone, removed once shell.revokedHomeDays have passed. True when removed.
// A home that is an image is unmounted first (its container is gone), and kept in its
// image, root's in a directory of root's alone; removing the home removes the image.
async function keepOrRemoveHome (config: Readonly<ShellConfig>, user: string, nowMs: number, log: Logger, homeHost: HomeHost): Promise<boolean> {
  const s = config.shell
  const home = join(s.homeRoot, user)
  const marker = revokedMarker(config, user)
  const since = await stat(marker).then((m) => m.mtimeMs, () => undefined)
  if (since === undefined) {
    // A home removed meanwhile (by an operator, say) has nothing left to keep.
    if (!await stat(home).then((h) => h.isDirectory(), () => false)) return false
    await unmountHome(config, user, homeHost, log)
    await chown(home, 0, 0)
    await chmod(home, 0o700)
    await mkdir(join(s.stateDir, 'revoked'), { recursive: true, mode: 0o700 })
    await writeFile(marker, `${new Date(nowMs).toISOString()}\n`, { mode: 0o600 })
    await utimes(marker, new Date(nowMs), new Date(nowMs))
    log.info({ user, home, keptDays: s.revokedHomeDays }, 'the home of a user who lost access is now root\'s, and kept')
    return false
  }
  if (nowMs - since < s.revokedHomeDays * 86400_000) return false
  // Mounted again since (by hand): its files are removed with the image, not one by one.
  await unmountHome(config, user, homeHost, log)
  await rm(home, { recursive: true, force: true })
  await rm(imageOf(config, user), { force: true })
  await rm(marker, { force: true })
  log.warn({ user, home, keptDays: s.revokedHomeDays }, 'removed the home of a user who lost access, past its retention')
  return true
}

async function unmountHome (config: Readonly<ShellConfig>, user: string, homeHost: HomeHost, log: Logger): Promise<void> {
  const release = await lockContainer(config, containerName(user))
  try {
    if (await releaseHome(config, user, homeHost)) log.info({ user, image: imageOf(config, user) }, 'unmounted the home image of a user who lost access')
  } finally {
    await release()
  }
}

// The broker's loop: a sweep every shell.revokeCheckSeconds, with the config read
// again each time, until stopped. A sweep that fails is logged and tried again.
export function startRevocation (load: () => Promise<Readonly<ShellConfig>>, engine: (config: Readonly<ShellConfig>) => Engine, log: Logger, access: AccessSource = systemAccessSource()): { stop: () => Promise<void> } {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const loop = async (): Promise<void> => {
    while (!stopped) {
      let waitS = 60
      try {
        const config = await load()
        waitS = config.shell.revokeCheckSeconds
        await revokeSweep(engine(config), config, access, log)
      } catch (err) {
        log.error({ err }, 'the revocation sweep failed; trying again at the next one')
      }
      if (stopped) break
      await new Promise<void>((resolve) => { wake = resolve; timer = setTimeout(resolve, waitS * 1000) })
    }
  }
  const done = loop()
  return {
    stop: async () => { stopped = true; clearTimeout(timer); wake?.(); await done }
  }
}
