// Image present: the toolbox image that shell.image names is in Docker, or every first
// login fails with BASTION_SHELL_IMAGE_MISSING.
import { ok, problems, skipped, type Check } from '../check.ts'

export const imageCheck: Check = {
  name: 'image',
  summary: 'the toolbox image of shell.image is present',
  async run (ctx) {
    if (ctx.dockerUp === false) return skipped('Docker does not answer')
    const { image, dockerSocket } = ctx.config.shell.shell
    let id: string | undefined
    try {
      id = await ctx.docker(dockerSocket).imageId(image)
    } catch (err) {
      return problems([{ problem: `cannot ask Docker for ${image} (${(err as Error).message})`, fix: 'see the docker line above' }])
    }
    if (id === undefined) {
      return problems([{ problem: `the toolbox image ${image} (shell.image) is missing, so logins fail`, fix: 'bastion setup image (builds it), or `bastion image` to roll out a new one' }])
    }
    return ok(`the toolbox image ${image} is present (${id.slice(0, 19)})`)
  }
}
