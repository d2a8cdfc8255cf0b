// Rolling an image out and back: shell.image in the config file and the history move
// together; an image Docker does not have is never configured.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { readHistory } from '../../src/image/history.ts'
import { rollbackImage, rolloutImage } from '../../src/image/rollout.ts'
import { FakeDocker, configText, depsIn, sink } from '../fixtures/toolbox.ts'

const configured = (dir: string): string => parse(readFileSync(join(dir, 'bastion.yaml'), 'utf8')).shell.image

t.test('rollout sets shell.image, keeps the comments, and records the old and the new image', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const one = docker.add('bastion/toolbox:one')
  const two = docker.add('bastion/toolbox:two')
  const r = await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:two')
  t.same(r, { changed: true, from: 'bastion/toolbox:one', to: 'bastion/toolbox:two', id: two })
  t.equal(readFileSync(join(dir, 'bastion.yaml'), 'utf8'), configText(dir).replace('bastion/toolbox:one   ', 'bastion/toolbox:two   '))
  t.same((await readHistory(join(dir, 'state', 'history.json'))).map((e) => [e.ref, e.id, e.how]), [
    ['bastion/toolbox:one', one, 'found'],
    ['bastion/toolbox:two', two, 'rollout']
  ])
})

t.test('an image rolled out by hand is smoke-tested first; one that fails is never configured', async (t) => {
  const dir = t.testdir({ 'bastion-agent': '' })
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const broken = docker.add('bastion/toolbox:broken')
  docker.answer = (s) => s.argv[0] === 'k9s' ? { exitCode: 127, output: 'k9s: not found' } : { exitCode: 0, output: '' }
  const before = readFileSync(join((await depsIn(dir, docker)) && dir, 'bastion.yaml'), 'utf8')
  const out = sink()
  await t.rejects(rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:broken', 'rollout', out), { code: 'BASTION_ADMIN_IMAGE_SMOKE_FAILED', message: /k9s \(`k9s version`\) exited 127: k9s: not found/ })
  t.same(docker.runs.map((r) => r.image), [broken, broken, broken, broken], 'its kubectl, aws, k9s and the agent (which this dir has) ran in it')
  t.equal(readFileSync(join(dir, 'bastion.yaml'), 'utf8'), before, 'shell.image is unchanged')
  t.same(await readHistory(join(dir, 'state', 'history.json')), [], 'and so is the history')
  t.match(out.text, /smoke test: k9s version: FAILED/)
})

t.test('rolling out the configured image changes nothing', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const before = readFileSync(join((await depsIn(dir, docker)) && dir, 'bastion.yaml'), 'utf8')
  const r = await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:one')
  t.equal(r.changed, false)
  t.equal(readFileSync(join(dir, 'bastion.yaml'), 'utf8'), before)
  t.equal((await readHistory(join(dir, 'state', 'history.json'))).length, 1, 'the history learns the configured image once')
  await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:one')
  t.equal((await readHistory(join(dir, 'state', 'history.json'))).length, 1, 'and only once')
})

t.test('an image Docker does not have is NOT_FOUND, and a bad ref is USAGE; nothing changes', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  await t.rejects(rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:nope'), { code: 'BASTION_ADMIN_IMAGE_NOT_FOUND', message: /never|build it/ })
  await t.rejects(rolloutImage(await depsIn(dir, docker), 'bad ref'), { code: 'BASTION_ADMIN_IMAGE_USAGE' })
  t.equal(configured(dir), 'bastion/toolbox:one')
  docker.down = true
  await t.rejects(rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:one'), { code: 'BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE' })
})

t.test('rollback goes one step back each time, and says when there is nowhere to go', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const one = docker.add('bastion/toolbox:one')
  docker.add('bastion/toolbox:two')
  const three = docker.add('bastion/toolbox:three')
  await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:two')
  await rolloutImage(await depsIn(dir, docker, readFileSync(join(dir, 'bastion.yaml'), 'utf8')), 'bastion/toolbox:three')
  const deps = async () => depsIn(dir, docker, readFileSync(join(dir, 'bastion.yaml'), 'utf8'))
  const back = await rollbackImage(await deps())
  t.match(back, { changed: true, from: 'bastion/toolbox:three', to: 'bastion/toolbox:two', dropped: { id: three } })
  t.equal(configured(dir), 'bastion/toolbox:two')
  t.match(await rollbackImage(await deps()), { to: 'bastion/toolbox:one', id: one })
  t.equal(configured(dir), 'bastion/toolbox:one')
  await t.rejects(rollbackImage(await deps()), { code: 'BASTION_ADMIN_IMAGE_NO_PREVIOUS' })
  t.same((await readHistory(join(dir, 'state', 'history.json'))).map((e) => [e.ref, e.how]), [['bastion/toolbox:one', 'rollback']])
})

t.test('a tag moved since goes back to the recorded id; a removed image is NOT_FOUND', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  const one = docker.add('bastion/toolbox:one')
  docker.add('bastion/toolbox:two')
  await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:two')
  const deps = async () => depsIn(dir, docker, readFileSync(join(dir, 'bastion.yaml'), 'utf8'))
  docker.refs.set('bastion/toolbox:one', docker.add('elsewhere:x'))
  t.match(await rollbackImage(await deps()), { to: one, id: one })
  t.equal(configured(dir), one)

  const dir2 = t.testdir({})
  const d2 = new FakeDocker()
  const gone = d2.add('bastion/toolbox:one')
  d2.add('bastion/toolbox:two')
  await rolloutImage(await depsIn(dir2, d2), 'bastion/toolbox:two')
  d2.images.delete(gone)
  d2.refs.delete('bastion/toolbox:one')
  await t.rejects(rollbackImage(await depsIn(dir2, d2, readFileSync(join(dir2, 'bastion.yaml'), 'utf8'))), { code: 'BASTION_ADMIN_IMAGE_NOT_FOUND', message: /no longer in Docker/ })
})

t.test('an image configured by hand since the last rollout is where rollback starts from', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  docker.add('bastion/toolbox:two')
  docker.add('hand/made:1')
  await rolloutImage(await depsIn(dir, docker), 'bastion/toolbox:two')
  const edited = readFileSync(join(dir, 'bastion.yaml'), 'utf8').replace('bastion/toolbox:two', 'hand/made:1')
  writeFileSync(join(dir, 'bastion.yaml'), edited)
  t.match(await rollbackImage(await depsIn(dir, docker, edited)), { from: 'hand/made:1', to: 'bastion/toolbox:two' })
})

t.test('when the config cannot be written, the history is put back as it was', async (t) => {
  const dir = t.testdir({})
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  docker.add('bastion/toolbox:two')
  const deps = await depsIn(dir, docker)
  await rolloutImage(deps, 'bastion/toolbox:one')
  const history = readFileSync(join(dir, 'state', 'history.json'), 'utf8')
  // The file on disk stays, but what the command read breaks the shell's schema.
  const broken = { ...deps, loaded: { ...deps.loaded, text: `${deps.loaded.text}\nshell2: {}\n` } }
  await t.rejects(rolloutImage(broken, 'bastion/toolbox:two'), { code: 'BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED' })
  t.equal(readFileSync(join(dir, 'state', 'history.json'), 'utf8'), history)
  t.equal(configured(dir), 'bastion/toolbox:one')
})
