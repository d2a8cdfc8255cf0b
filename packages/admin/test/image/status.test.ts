// Which users still run an old image: their containers beside the configured image.
import t from 'tap'
import { imageStatus } from '../../src/image/status.ts'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FakeDocker, configText, depsIn } from '../fixtures/toolbox.ts'

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

t.test('the sessions the broker serves count as live, beside running execs; stale records neither count nor go', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const old = docker.add('bastion/toolbox:zero')
  docker.add('bastion/toolbox:one')
  docker.containers = [
    { id: 'c1', name: 'shell-alice-1', user: 'alice', imageId: old, state: 'running', liveSessions: 1 },
    { id: 'c2', name: 'shell-bob-2', user: 'bob', imageId: old, state: 'running', liveSessions: 0 }
  ]
  const text = configText(dir).replace('shell:\n', `shell:\n  stateDir: ${dir}/shell-state\n`)
  const sessions = join(dir, 'shell-state', 'sessions')
  mkdirSync(join(sessions, 'shell-alice-1'), { recursive: true })
  mkdirSync(join(sessions, 'shell-bob-2'), { recursive: true })
  // This process stands in for a live session worker; a pid that no longer runs, for a stale one.
  const start = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]
  writeFileSync(join(sessions, 'shell-bob-2', 'live'), `${process.pid} ${start}\n`)
  writeFileSync(join(sessions, 'shell-bob-2', 'stale'), '999999999 1\n')
  const s = await imageStatus(await depsIn(dir, docker, text))
  t.same(s.containers.map((c) => [c.user, c.liveSessions]), [['alice', 1], ['bob', 1]])
  t.same(readdirSync(join(sessions, 'shell-bob-2')).sort(), ['live', 'stale'], 'a report removes nothing')
})
