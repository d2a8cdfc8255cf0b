// One container per user, reused across sessions. Created on first login (two logins
// racing end up in one), started when stopped, and recreated when the image or the
// configuration changed, but only at a login that finds no live session in it.
import { mkdir, writeFile, rm, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ContainerInfo, Engine } from '../docker/engine.ts'
import type { Logger } from 'pino'
import type Docker from 'dockerode'
import type { ShellConfig } from '../config/schema.ts'
import type { Caller } from '../identity.ts'
import { ShellError } from '../errors.ts'
import { alive } from '../proc.ts'
import { containerName } from './name.ts'
import { ownAddress, pinnedAddress } from './address.ts'
import { LABEL_AGENT, LABEL_CONFIG, LABEL_IMAGE, configHash, createOptions, kubeconfigMount, type AgentMount, type Paths } from './spec.ts'
import { touchActivity } from './activity.ts'
import { agentDir } from '../broker/run-dir.ts'
import { registeredSessions } from '../session/registry.ts'
import { revokedMarker } from './revoked.ts'
import { ensureHome, homeIsImage, type HomeHost } from './home-image.ts'
import { systemHomeHost } from './home-host.ts'

// pid: the container's init process on the host, when it was already running (0 otherwise).
// agent: whether the container runs the agent (else its sessions use docker exec).
export interface Ensured { id: string, name: string, created: boolean, pid: number, agent: boolean, agentDir: string }

export interface EnsureOptions {
  // The agent new containers get; null: none (sessions use docker exec).
  agent: AgentMount | null
  // The session asking, already registered (session/registry.ts): not counted as a
  // live session that would keep an outdated container.
  session?: string
  // mount and mkfs, for a home with a size limit (home-image.ts).
  homeHost?: HomeHost
}

export async function ensureContainer (docker: Engine, config: Readonly<ShellConfig>, caller: Caller, log: Logger, options: EnsureOptions): Promise<Ensured> {
  const name = containerName(caller.user)
  const { agent } = options
  const homeHost = options.homeHost ?? systemHomeHost(config.shell.stepTimeoutMs)
  // Independent of each other: asked at once, since every login waits for them.
  const [image, paths, release] = await settleAll([imageId(docker, config.shell.image), prepareHost(config, caller, name), lockContainer(config, name)])
  try {
    // Marked as used while the lock is held, so a gc run cannot take it from under us.
    await touchActivity(config, name)
    const existing = await inspect(docker, name)
    if (existing !== undefined) {
      const labels = existing.Config.Labels ?? {}
      const current = labels[LABEL_IMAGE] === image && labels[LABEL_CONFIG] === configHash(config, caller, undefined, agent, paths.homeImage)
      if (current || await liveSessions(docker, config, existing, name, options.session) > 0) {
        if (!current) log.info({ container: name }, 'container is outdated but has live sessions; reusing it')
        // Mounted before a start, which binds it anew. An outdated container made before
        // the home's image keeps the directory it has until it is recreated.
        if (current || paths.homeImage !== true) await ensureHome(config, caller, homeHost, log)
        const started = existing.State.Running || await docker.getContainer(existing.Id).start().then(() => true, (err: unknown) => {
          if ((err as { statusCode?: number }).statusCode === 304) return true
          // Stopped, so without sessions, and another container sits on its address
          // (see createPinned): made anew, on another address.
          if (addressInUse(err)) return false
          throw err
        })
        if (started) return { id: existing.Id, name, created: false, pid: existing.State.Running ? existing.State.Pid : 0, agent: labels[LABEL_AGENT] !== undefined, agentDir: paths.agentDir }
        log.warn({ container: name }, 'the container\'s address is held by another container; making it anew on another address')
      } else {
        log.info({ container: name }, 'recreating outdated container (image or configuration changed)')
      }
      await docker.getContainer(existing.Id).remove({ force: true })
    }
    // The home's image is mounted before the container exists, so that it binds it.
    await ensureHome(config, caller, homeHost, log)
    let id: string
    try {
      if (kubeconfigMount(config) === undefined) {
        log.info({ container: name, dir: config.shell.kubeconfigDir }, 'no kubeconfig to mount (run `bastion kubeconfig write`): the container gets none')
      }
      id = await createPinned(docker, config, caller, name, (address) => createOptions(config, caller, name, image, paths, undefined, agent, address), log)
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err
      // Created by a racing login a moment ago (another host lock holder cannot exist,
      // but a manual `docker create` can): use it.
      const raced = await inspect(docker, name)
      if (raced === undefined) throw err
      id = raced.Id
      await docker.getContainer(id).start().catch(ignore304)
    }
    return { id, name, created: true, pid: 0, agent: agent !== null, agentDir: paths.agentDir }
  } finally {
    await release()
  }
}

// Creates and starts the person's container on their own address (address.ts). An
// address some other container took since it was looked at (one made by hand, say,
// which Docker placed there) fails the start: then once more, on another address.
async function createPinned (docker: Engine, config: Readonly<ShellConfig>, caller: Caller, name: string, options: (address: string) => Docker.ContainerCreateOptions, log: Logger): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const held = await heldAddresses(docker, config)
    const before = await ownAddress(config, caller.user)
    const address = await pinnedAddress(config, caller, { held, idle: (user) => idleOwner(docker, config, user) })
    if (before !== undefined && before !== address) log.warn({ container: name, from: before, to: address }, 'the person\'s address is held by another container; they move to another')
    const id = (await docker.createContainer(options(address))).id
    try {
      await docker.getContainer(id).start().catch(ignore304)
      return id
    } catch (err) {
      if (!addressInUse(err) || attempt > 1) throw err
      log.warn({ container: name, address }, 'the person\'s address was taken by another container a moment ago; trying another')
      await docker.getContainer(id).remove({ force: true })
    }
  }
}

// Every address some container on the bastion network holds now.
async function heldAddresses (docker: Engine, config: Readonly<ShellConfig>): Promise<Set<string>> {
  const info = await docker.getNetwork(config.network.name).inspect()
  return new Set(Object.values(info.Containers ?? {}).map((c) => (c.IPv4Address ?? '').split('/')[0] ?? '').filter((ip) => ip !== ''))
}

// Another person's lock, taken only when free, and held only if they have no container:
// what lets their long-unused address pass to someone else (address.ts).
async function idleOwner (docker: Engine, config: Readonly<ShellConfig>, user: string): Promise<(() => Promise<void>) | undefined> {
  const name = containerName(user)
  const release = await tryLock(lockPath(config, name))
  if (release === undefined) return undefined
  if (await inspect(docker, name).catch(() => 'unknown') === undefined) return release
  await release()
  return undefined
}

function addressInUse (err: unknown): boolean {
  return /address already in use/i.test((err as Error)?.message ?? '')
}

async function imageId (docker: Engine, image: string): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new ShellError('BASTION_SHELL_IMAGE_MISSING', `image ${image} is not on this host (shell.image)`, { cause: err })
    }
    throw err
  }
}

async function inspect (docker: Engine, name: string): Promise<ContainerInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect()
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined
    throw err
  }
}

// Live sessions: those the broker's workers serve (the registry), and running execs,
// Docker's own account of sessions without the agent. Never what the agent says.
export async function liveSessions (docker: Engine, config: Readonly<ShellConfig>, info: ContainerInfo, name: string, exclude?: string): Promise<number> {
  const ids = info.ExecIDs ?? []
  let running = await registeredSessions(config, name, exclude)
  for (const id of ids) {
    const exec = await docker.getExec(id).inspect().catch(() => undefined)
    if (exec?.Running === true) running++
  }
  return running
}

// The passwd/group files that let the container know the user's name, all owned and
// placed by root, and where the home is (ensureHome makes it ready, under the lock).
// A name starting with a dot is refused: <homeRoot>/.images holds the homes' images.
async function prepareHost (config: Readonly<ShellConfig>, caller: Caller, name: string): Promise<Paths> {
  if (!/^[^/\0:\n]+$/.test(caller.user) || caller.user.startsWith('.')) {
    throw new ShellError('BASTION_SHELL_IDENTITY', `user name ${JSON.stringify(caller.user)} cannot name a home directory`)
  }
  const home = join(config.shell.homeRoot, caller.user)
  const homeImage = await homeIsImage(config, caller.user)
  await rm(revokedMarker(config, caller.user), { force: true })
  const dir = join(config.shell.stateDir, 'etc', name)
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const passwd = join(dir, 'passwd')
  const group = join(dir, 'group')
  await writeIfChanged(passwd, `root:x:0:0:root:/root:/usr/sbin/nologin\n${caller.user}:x:${caller.uid}:${caller.gid}::/home/${caller.user}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`)
  await writeIfChanged(group, `root:x:0:\n${caller.user}:x:${caller.gid}:\nnogroup:x:65534:\n`)
  // Root's alone: the container sees it read-only, and the user cannot put a socket in
  // it that the broker would take for the agent's.
  const sessions = agentDir(config, name)
  await mkdir(join(sessions, '..'), { recursive: true, mode: 0o711 })
  await mkdir(sessions, { recursive: true, mode: 0o755 })
  return { home, passwd, group, agentDir: sessions, homeImage }
}

async function writeIfChanged (path: string, text: string): Promise<void> {
  const now = await readFile(path, 'utf8').catch(() => undefined)
  if (now !== text) await writeFile(path, text, { mode: 0o644 })
}

export function lockContainer (config: Readonly<ShellConfig>, name: string): Promise<() => Promise<void>> {
  return lock(lockPath(config, name), config.shell.stepTimeoutMs)
}

function lockPath (config: Readonly<ShellConfig>, name: string): string {
  return join(config.shell.stateDir, 'locks', name)
}

// A per-user lock on the host (an exclusive mkdir), so that concurrent first logins,
// recreation and gc never race. A lock left by a dead process is taken over.
async function lock (path: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const release = await tryLock(path)
    if (release !== undefined) return release
    if (Date.now() > deadline) throw new ShellError('BASTION_SHELL_TIMEOUT', `lock ${path} still held after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

// The lock if it is free (or its holder is dead), else undefined at once.
async function tryLock (path: string): Promise<(() => Promise<void>) | undefined> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
  try {
    await mkdir(path)
    await writeFile(join(path, 'pid'), String(process.pid))
    return async () => { await rm(path, { recursive: true, force: true }) }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const holder = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => 'NaN'))
  if (Number.isInteger(holder) && !alive(holder)) await rm(path, { recursive: true, force: true })
  return undefined
}


// Promise.all that, on a failure, still waits for the others and releases a lock one
// of them took, so that a failed login never leaves its lock behind.
async function settleAll<A, B> (p: [Promise<A>, Promise<B>, Promise<() => Promise<void>>]): Promise<[A, B, () => Promise<void>]> {
  const [a, b, r] = await Promise.allSettled(p)
  if (a.status === 'fulfilled' && b.status === 'fulfilled' && r.status === 'fulfilled') return [a.value, b.value, r.value]
  if (r.status === 'fulfilled') await r.value()
  throw a.status === 'rejected' ? a.reason : b.status === 'rejected' ? b.reason : (r as PromiseRejectedResult).reason
}

function ignore304 (err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 304) throw err
}
