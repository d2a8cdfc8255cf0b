// Making an image the configured one (shell.image) and going back: the history records
// each change, so that `bastion image rollback` is one step. An image rolled out by
// hand passes the same smoke test as a build first (a build has passed it already); a
// rollback goes back to an image that passed it when it was configured. New logins use the new image
// at once; the login shell recreates an existing container at the next login that finds
// no live session in it (its image label differs), and never kills a session.
import type { ImageEngine } from './docker.ts'
import { setConfiguredImage } from './config-file.ts'
import type { LoadedConfig } from './config.ts'
import { imageError } from './errors.ts'
import { readHistory, writeHistory, type HistoryEntry } from './history.ts'
import { withLock } from './lock.ts'
import { IMAGE_REF } from './docker.ts'
import { smokeTest } from './smoke.ts'

export interface ImageDeps {
  loaded: LoadedConfig
  engine: ImageEngine
  now: () => Date
}

export interface RolloutResult {
  changed: boolean
  from: string // shell.image before
  to: string // shell.image now
  id: string // the image id it names
}

const LOCK_WAIT_MS = 10_000

export function checkRef (ref: string): void {
  if (!IMAGE_REF.test(ref)) throw imageError('BASTION_ADMIN_IMAGE_USAGE', `${JSON.stringify(ref)} is not an image reference (name[:tag] or an image id)`)
}

// output: where the smoke test's lines go (a rollout by hand only).
export async function rolloutImage (deps: ImageDeps, ref: string, how: 'build' | 'rollout' = 'rollout', output: NodeJS.WritableStream = process.stderr): Promise<RolloutResult> {
  checkRef(ref)
  const info = await inspect(deps, ref)
  if (info === undefined) throw imageError('BASTION_ADMIN_IMAGE_NOT_FOUND', `image ${ref} is not in Docker on this host; build it (bastion image build) or load it (docker load) first`)
  const { config } = deps.loaded
  if (how === 'rollout' && config.shell.image !== ref) {
    await smokeTest(deps.engine, info.id, { agentPath: config.shell.agent.path, timeoutMs: config.toolbox.dockerTimeoutMs, output })
  }
  const historyFile = config.toolbox.historyFile
  return withLock(`${historyFile}.lock`, LOCK_WAIT_MS, async () => {
    const from = config.shell.image
    const known = await readHistory(historyFile)
    const history = await withCurrent(deps, known, from)
    if (from === ref) {
      // Already configured: only the history may need to learn it.
      if (history !== known) await writeHistory(historyFile, history)
      return { changed: false, from, to: ref, id: info.id }
    }
    const next = [...history, { ref, id: info.id, at: deps.now().toISOString(), how }]
    await writeHistory(historyFile, next)
    await setConfig(deps, historyFile, history, ref)
    return { changed: true, from, to: ref, id: info.id }
  })
}

export async function rollbackImage (deps: ImageDeps): Promise<RolloutResult & { dropped: HistoryEntry }> {
  const { config } = deps.loaded
  const historyFile = config.toolbox.historyFile
  return withLock(`${historyFile}.lock`, LOCK_WAIT_MS, async () => {
    const from = config.shell.image
    const history = await withCurrent(deps, await readHistory(historyFile), from)
    const dropped = history.at(-1)
    const previous = history.at(-2)
    if (dropped === undefined || previous === undefined) {
      throw imageError('BASTION_ADMIN_IMAGE_NO_PREVIOUS', `${from} is the only image in ${historyFile}: there is nothing to roll back to`)
    }
    // The ref may have been moved to another image since: then its id is what counts.
    let ref = previous.ref
    const now = IMAGE_REF.test(ref) ? await inspect(deps, ref) : undefined
    if (now?.id !== previous.id) {
      if (await inspect(deps, previous.id) === undefined) {
        throw imageError('BASTION_ADMIN_IMAGE_NOT_FOUND', `the previous image ${previous.ref} (${previous.id}) is no longer in Docker`)
      }
      ref = previous.id
    }
    const next = [...history.slice(0, -2), { ...previous, ref, at: deps.now().toISOString(), how: 'rollback' as const }]
    await writeHistory(historyFile, next)
    await setConfig(deps, historyFile, history, ref)
    return { changed: true, from, to: ref, id: previous.id, dropped }
  })
}

// The history as it should stand before a change: ending with the image configured now.
// One configured by hand (or before this suite kept a history) is recorded as found.
async function withCurrent (deps: ImageDeps, history: HistoryEntry[], current: string): Promise<HistoryEntry[]> {
  if (history.at(-1)?.ref === current) return history
  const info = IMAGE_REF.test(current) ? await inspect(deps, current) : undefined
  if (info === undefined) return history
  return [...history, { ref: current, id: info.id, at: deps.now().toISOString(), how: 'found' }]
}

// Config after history: if the config cannot be written, the history is put back.
async function setConfig (deps: ImageDeps, historyFile: string, before: HistoryEntry[], ref: string): Promise<void> {
  try {
    await setConfiguredImage(deps.loaded.path, deps.loaded.text, ref)
  } catch (err) {
    await writeHistory(historyFile, before).catch(() => undefined)
    throw err
  }
}

export async function inspect (deps: ImageDeps, ref: string): ReturnType<ImageEngine['inspectImage']> {
  try {
    return await deps.engine.inspectImage(ref)
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', `Docker did not answer about image ${ref} on ${deps.loaded.config.shell.dockerSocket}: ${(err as Error).message}`, err)
  }
}
