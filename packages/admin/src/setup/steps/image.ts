// Step `image`: the toolbox image that shell.image names is present in Docker; when it
// is not, it is built (images/toolbox, through the `bastion image` code). Rolling out a
// newer image is `bastion image`'s job, not setup's: setup only fills a gap.
import { setupError } from '../errors.ts'
import type { SetupContext, Step } from '../context.ts'

async function present (ctx: SetupContext, image: string): Promise<boolean> {
  try {
    await ctx.docker.ping()
    return (await ctx.docker.imageId(image)) !== undefined
  } catch (err) {
    throw setupError('BASTION_ADMIN_SETUP_DOCKER_UNAVAILABLE', `the Docker Engine does not answer on ${ctx.config.shell.shell.dockerSocket}: ${(err as Error).message}`, err)
  }
}

export const imageStep: Step = {
  name: 'image',
  summary: 'the toolbox image of shell.image is present (built when missing)',
  async plan (ctx) {
    const image = ctx.config.shell.shell.image
    return (await present(ctx, image)) ? [] : [`build the toolbox image ${image}`]
  },
  async apply (ctx) {
    const image = ctx.config.shell.shell.image
    if (await present(ctx, image)) return []
    const changes = await ctx.buildImage(image)
    if (!(await present(ctx, image))) throw setupError('BASTION_ADMIN_SETUP_IMAGE_FAILED', `the image build finished but ${image} is still not in Docker`)
    return changes.length > 0 ? changes : [`built ${image}`]
  }
}
