// Which users still run an old image: their containers beside the configured image.
import t from 'tap'
import { imageStatus } from '../../src/image/status.ts'
import { FakeDocker, depsIn } from '../fixtures/toolbox.ts'

t.test('containers on the configured image are current; others are listed as outdated, with their image names', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const one = docker.add('bastion/toolbox:one')
  const old = docker.add('bastion/toolbox:zero')
  docker.containers = [
    { id: 'c1', name: 'shell-alice-1', user: 'alice', imageId: one, state: 'running', liveSessions: 1 },
    { id: 'c2', name: 'shell-bob-2', user: 'bob', imageId: old, state: 'running', liveSessions: 2 },
    { id: 'c3', name: 'shell-carol-3', user: 'carol', imageId: 'sha256:' + 'f'.repeat(64), state: 'exited', liveSessions: 0 },
    { id: 'c4', name: 'shell-dave-4', user: 'dave', imageId: 'not a ref', state: 'exited', liveSessions: 0 }
  ]
  const s = await imageStatus(await depsIn(dir, docker))
  t.equal(s.configured.ref, 'bastion/toolbox:one')
  t.equal(s.configured.image?.id, one)
  t.same(s.containers.map((c) => [c.user, c.current, c.imageNames]), [['alice', true, ['bastion/toolbox:one']], ['bob', false, ['bastion/toolbox:zero']], ['carol', false, []], ['dave', false, []]])
  t.same(s.outdatedUsers, ['bob', 'carol', 'dave'])
})

t.test('with the configured image missing, every container is outdated; Docker down is an error', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const other = docker.add('x:1')
  docker.containers = [{ id: 'c1', name: 'shell-alice-1', user: 'alice', imageId: other, state: 'running', liveSessions: 0 }]
  const s = await imageStatus(await depsIn(dir, docker))
  t.equal(s.configured.image, undefined)
  t.same(s.outdatedUsers, ['alice'])
  docker.userContainers = async () => { throw new Error('EPIPE') }
  await t.rejects(imageStatus(await depsIn(dir, docker)), { code: 'BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', message: /users' containers: EPIPE/ })
})
