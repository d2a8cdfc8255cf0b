// `bastion image build` without the command line: build the toolbox image (offline or
// production), smoke-test it, tag it <repository>:<version> and <repository>:sha-<12 hex
// of its id>, and make it the configured image. An image that fails the smoke test gets
// no name at all. A build whose inputs match the image it would replace is skipped:
// running it again changes nothing.
import type { Writable } from 'node:stream'
import type { ImageInfo } from './docker.ts'
import { imageError } from './errors.ts'
import { buildInputs, stageContext, type Flavor } from './inputs.ts'
import { checkRef, inspect, rolloutImage, type ImageDeps, type RolloutResult } from './rollout.ts'
import { smokeTest } from './smoke.ts'

export const LABEL_INPUTS = 'bastion.toolbox.inputs'
export const LABEL_VERSION = 'org.opencontainers.image.version'

export interface BuildOptions {
  flavor?: Flavor | undefined // default: toolbox.flavor
  rollout: boolean // make it the configured image
  tags: string[] // more name:tag refs to give it
  force: boolean // build even when the inputs match
  noCache: boolean
  output: Writable // docker build's progress
  context?: string | undefined // default: toolbox.context or the suite's images/toolbox
}

export interface BuildResult {
  built: boolean // false: skipped, the image was already there
  id: string
  refs: string[] // every name it has from this run
  version: string | undefined
  size: number
  inputs: string
  rollout: RolloutResult | undefined
}

// <flavor>-<UTC date>T<time>Z: sorts by age and says which build it is.
export function versionOf (flavor: Flavor, now: Date): string {
  return `${flavor}-${now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}`
}

export function splitRef (ref: string): { repository: string, tag: string } {
  checkRef(ref)
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  if (ref.includes('@') || ref.startsWith('sha256:')) throw imageError('BASTION_ADMIN_IMAGE_USAGE', `--tag wants name:tag, not ${ref}`)
  return colon > slash ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repository: ref, tag: 'latest' }
}

export async function buildToolbox (deps: ImageDeps, opts: BuildOptions): Promise<BuildResult> {
  const { config } = deps.loaded
  const toolbox = config.toolbox
  const flavor = opts.flavor ?? toolbox.flavor
  const extra = opts.tags.map((t) => ({ ref: t, ...splitRef(t) }))
  const inputs = await buildInputs(toolbox, flavor, opts.context)

  // Skip when every image this run would name already has these inputs.
  const targets = [...(opts.rollout ? [config.shell.image] : []), ...extra.map((t) => t.ref)]
  if (!opts.force && targets.length > 0) {
    const found = await Promise.all(targets.map((ref) => inspect(deps, ref)))
    if (found.every((i) => i?.labels[LABEL_INPUTS] === inputs.hash)) {
      const image = found[0] as ImageInfo
      return { built: false, id: image.id, refs: targets, version: image.labels[LABEL_VERSION], size: image.size, inputs: inputs.hash, rollout: undefined }
    }
  }

  try {
    await deps.engine.ping()
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', `the Docker Engine does not answer on ${config.shell.dockerSocket}: ${(err as Error).message}`, err)
  }
  const now = deps.now()
  const version = versionOf(flavor, now)
  const staged = await stageContext(inputs)
  let id: string
  try {
    id = await deps.engine.build({
      context: staged.dir,
      dockerfile: inputs.dockerfile,
      buildArgs: inputs.buildArgs,
      labels: { [LABEL_INPUTS]: inputs.hash, [LABEL_VERSION]: version, 'org.opencontainers.image.created': now.toISOString() },
      noCache: opts.noCache,
      timeoutMs: toolbox.buildTimeoutSeconds * 1000,
      output: opts.output
    })
  } catch (err) {
    const e = err as { timedOut?: boolean, shortMessage?: string, message: string }
    const why = e.timedOut === true ? `took longer than toolbox.buildTimeoutSeconds (${toolbox.buildTimeoutSeconds})` : (e.shortMessage ?? e.message)
    throw imageError('BASTION_ADMIN_IMAGE_BUILD_FAILED', `docker build of ${inputs.context}/${inputs.dockerfile} failed: ${why}`, err)
  } finally {
    await staged.cleanup()
  }

  await smokeTest(deps.engine, id, { agentPath: config.shell.agent.path, timeoutMs: toolbox.dockerTimeoutMs, output: opts.output })

  const names = [
    { repository: toolbox.repository, tag: version },
    { repository: toolbox.repository, tag: `sha-${id.replace(/^sha256:/, '').slice(0, 12)}` },
    ...extra
  ]
  try {
    for (const n of names) await deps.engine.tag(id, n.repository, n.tag)
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', `tagging ${id} failed: ${(err as Error).message}`, err)
  }
  const refs = names.map((n) => `${n.repository}:${n.tag}`)
  const rollout = opts.rollout ? await rolloutImage(deps, refs[0] as string, 'build') : undefined
  const info = await inspect(deps, id)
  return { built: true, id, refs, version, size: info?.size ?? 0, inputs: inputs.hash, rollout }
}
