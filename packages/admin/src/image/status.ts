// Which users still run an old image: every user's container (label bastion.user) with
// the image it was made from (label bastion.image-digest) beside the configured one.
// A container on an old image is recreated at its user's next login with no live
// session in it; one with live sessions keeps running until they end.
import { registeredSessions } from '@bastion/shell'
import { IMAGE_REF, type ImageInfo, type UserContainer } from './docker.ts'
import { imageError } from './errors.ts'
import { inspect, type ImageDeps } from './rollout.ts'

export interface ContainerStatus extends UserContainer {
  current: boolean
  imageNames: string[] // the tags that image has now, if it is still there
}

export interface ImageStatus {
  configured: { ref: string, image: ImageInfo | undefined }
  containers: ContainerStatus[]
  outdatedUsers: string[]
}

export async function imageStatus (deps: ImageDeps): Promise<ImageStatus> {
  const ref = deps.loaded.config.shell.image
  const image = await inspect(deps, ref)
  let containers: UserContainer[]
  try {
    containers = await deps.engine.userContainers()
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', `cannot list the users' containers: ${(err as Error).message}`, err)
  }
  // Live sessions are those the session broker serves (its records, which a report never
  // prunes) as well as running docker execs (containers without an agent).
  for (const c of containers) c.liveSessions += await registeredSessions(deps.loaded.config, c.name, undefined, false)
  const names = new Map<string, string[]>()
  for (const c of containers) {
    if (IMAGE_REF.test(c.imageId) && !names.has(c.imageId)) names.set(c.imageId, (await inspect(deps, c.imageId))?.tags ?? [])
  }
  const rows = containers.map((c) => ({ ...c, current: image !== undefined && c.imageId === image.id, imageNames: names.get(c.imageId) ?? [] }))
  return {
    configured: { ref, image },
    containers: rows,
    outdatedUsers: [...new Set(rows.filter((r) => !r.current).map((r) => r.user))].sort()
  }
}
