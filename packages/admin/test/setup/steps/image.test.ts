// Step `image`: present, or built; Docker down is its own error.
import t from 'tap'
import { imageStep } from '../../../src/setup/steps/image.ts'
import { fakeDocker, setupContext, scratchDir } from '../fixtures.ts'

t.test('a present image: no change, no build', async (t) => {
  const built: string[] = []
  const ctx = setupContext(scratchDir(t), { docker: fakeDocker({ 'bastion/toolbox:unit': 'sha256:1' }), buildImage: async (i) => { built.push(i); return [] } })
  t.same(await imageStep.plan(ctx), [])
  t.same(await imageStep.apply(ctx), [])
  t.same(built, [])
})

t.test('a missing image is planned, then built, and must then be there', async (t) => {
  const docker = fakeDocker()
  const ctx = setupContext(scratchDir(t), { docker, buildImage: async (i) => { docker.images[i] = 'sha256:2'; return [`built ${i} (bastion image build)`] } })
  t.same(await imageStep.plan(ctx), ['build the toolbox image bastion/toolbox:unit'])
  t.same(await imageStep.apply(ctx), ['built bastion/toolbox:unit (bastion image build)'])
  t.same(await imageStep.apply(ctx), [])
  const quiet = setupContext(scratchDir(t), { docker: fakeDocker(), buildImage: async (i) => { quiet.docker = fakeDocker({ [i]: 'x' }); return [] } })
  t.same(await imageStep.apply(quiet), ['built bastion/toolbox:unit'], 'a build that said nothing still reports the change')
})

t.test('a build that leaves no image, and Docker down, are errors', async (t) => {
  const ctx = setupContext(scratchDir(t), { docker: fakeDocker(), buildImage: async () => [] })
  await t.rejects(imageStep.apply(ctx), { code: 'BASTION_ADMIN_SETUP_IMAGE_FAILED', message: /still not in Docker/ })
  const down = setupContext(scratchDir(t), { docker: fakeDocker({}, { down: true }) })
  await t.rejects(imageStep.plan(down), { code: 'BASTION_ADMIN_SETUP_DOCKER_UNAVAILABLE', message: /does not answer on \/var\/run\/docker\.sock: connect ENOENT/ })
})
