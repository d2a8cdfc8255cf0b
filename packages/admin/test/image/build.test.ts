// `bastion image build` on a fake Docker: what it builds from, how it names and rolls
// out the result, and that a rebuild from the same inputs is skipped.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { buildToolbox, LABEL_INPUTS, LABEL_VERSION, splitRef, versionOf, type BuildOptions } from '../../src/image/build.ts'
import { FakeDocker, configText, depsIn, sink } from '../fixtures/toolbox.ts'

function suite (t: Test): string {
  const dir = t.testdir({})
  mkdirSync(join(dir, 'ctx'))
  writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM prod\n')
  writeFileSync(join(dir, 'ctx', 'Dockerfile.offline'), 'FROM offline\n')
  for (const bin of ['k9s', 'kubectl']) {
    writeFileSync(join(dir, bin), `${bin} binary`)
    chmodSync(join(dir, bin), 0o755)
  }
  return dir
}
const opts = (o: Partial<BuildOptions> = {}): BuildOptions => ({ rollout: true, tags: [], force: false, noCache: false, output: sink(), ...o })
const configured = (dir: string): string => parse(readFileSync(join(dir, 'bastion.yaml'), 'utf8')).shell.image

t.test('versions say the flavor and the UTC time; refs split into repository and tag', async (t) => {
  t.equal(versionOf('offline', new Date('2026-11-26T21:05:09.123Z')), 'offline-20261126T210509Z')
  t.same(splitRef('bastion/toolbox:test'), { repository: 'bastion/toolbox', tag: 'test' })
  t.same(splitRef('localhost:5000/toolbox'), { repository: 'localhost:5000/toolbox', tag: 'latest' })
  t.throws(() => splitRef('sha256:abc'), { code: 'BASTION_ADMIN_IMAGE_USAGE' })
  t.throws(() => splitRef('no spaces'), { code: 'BASTION_ADMIN_IMAGE_USAGE' })
})

t.test('the offline build: its Dockerfile, base, labels; tagged by version and id; then configured', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const out = sink()
  const r = await buildToolbox(await depsIn(dir, docker), opts({ output: out }))
  const spec = docker.builds[0]
  t.ok(spec !== undefined)
  t.same([spec?.dockerfile, spec?.buildArgs, spec?.noCache, spec?.timeoutMs], ['Dockerfile.offline', { BASE: 'bastion/debian:bookworm' }, false, 3600_000])
  t.same(spec?.labels, { [LABEL_INPUTS]: r.inputs, [LABEL_VERSION]: 'offline-20261126T210000Z', 'org.opencontainers.image.created': '2026-11-26T21:00:00.000Z' })
  t.same(docker.staged[0], ['Dockerfile', 'Dockerfile.offline', 'k9s', 'kubectl'], 'built from a copy with k9s and kubectl in it')
  t.notOk(existsSync(spec?.context ?? ''), 'the staged copy is gone after the build')
  t.same(r.refs, ['bastion/toolbox:offline-20261126T210000Z', `bastion/toolbox:sha-${r.id.slice(7, 19)}`])
  t.equal(docker.refs.get(r.refs[0] ?? ''), r.id)
  t.equal(docker.refs.get(r.refs[1] ?? ''), r.id)
  t.match(r, { built: true, version: 'offline-20261126T210000Z', size: 612e6, rollout: { changed: true, from: 'bastion/toolbox:one', to: 'bastion/toolbox:offline-20261126T210000Z' } })
  t.equal(configured(dir), 'bastion/toolbox:offline-20261126T210000Z')
  t.match(out.text, /Step 1\/1/, 'the build output goes to the given stream')
})

t.test('a second build from the same inputs is skipped and changes nothing', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const first = await buildToolbox(await depsIn(dir, docker), opts())
  const text = readFileSync(join(dir, 'bastion.yaml'), 'utf8')
  const again = await buildToolbox(await depsIn(dir, docker, text), opts())
  t.match(again, { built: false, id: first.id, rollout: undefined, version: first.version, refs: [first.refs[0]] })
  t.equal(docker.builds.length, 1)
  t.equal(readFileSync(join(dir, 'bastion.yaml'), 'utf8'), text)
  const forced = await buildToolbox(await depsIn(dir, docker, text), opts({ force: true }))
  t.equal(forced.built, true, '--force builds anyway')
  writeFileSync(join(dir, 'k9s'), 'a newer k9s')
  t.equal((await buildToolbox(await depsIn(dir, docker, readFileSync(join(dir, 'bastion.yaml'), 'utf8')), opts())).built, true, 'a changed input builds')
})

t.test('--no-rollout --tag: built and named, the config untouched; skipped next time', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const r = await buildToolbox(await depsIn(dir, docker), opts({ rollout: false, tags: ['bastion/toolbox:test'] }))
  t.equal(r.rollout, undefined)
  t.equal(docker.refs.get('bastion/toolbox:test'), r.id)
  t.equal(configured(dir), 'bastion/toolbox:one')
  t.equal((await buildToolbox(await depsIn(dir, docker), opts({ rollout: false, tags: ['bastion/toolbox:test'] }))).built, false)
  t.equal((await buildToolbox(await depsIn(dir, docker), opts({ rollout: false, tags: [] }))).built, true, 'with nothing to compare against, it builds')
})

t.test('the production build uses the Dockerfile, no binaries of ours, and the configured base', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  await buildToolbox(await depsIn(dir, docker, configText(dir, '  production:\n    base: mirror/debian:12')), opts({ flavor: 'production', noCache: true }))
  t.same([docker.builds[0]?.dockerfile, docker.builds[0]?.buildArgs, docker.builds[0]?.noCache], ['Dockerfile', { BASE: 'mirror/debian:12' }, true])
  t.match(configured(dir), /^bastion\/toolbox:production-/)
})

t.test('Docker down, a failed build and a timeout are clear errors, and nothing is configured', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  docker.down = true
  await t.rejects(buildToolbox(await depsIn(dir, docker), opts({ force: true })), { code: 'BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE' })
  docker.down = false
  docker.failBuild = Object.assign(new Error('long'), { shortMessage: 'Command failed with exit code 1: docker build' })
  await t.rejects(buildToolbox(await depsIn(dir, docker), opts()), { code: 'BASTION_ADMIN_IMAGE_BUILD_FAILED', message: /exit code 1/ })
  docker.failBuild = Object.assign(new Error('long'), { timedOut: true })
  await t.rejects(buildToolbox(await depsIn(dir, docker), opts()), { code: 'BASTION_ADMIN_IMAGE_BUILD_FAILED', message: /buildTimeoutSeconds \(3600\)/ })
  docker.failBuild = new Error('plain')
  await t.rejects(buildToolbox(await depsIn(dir, docker), opts()), { message: /plain/ })
  t.equal(configured(dir), 'bastion/toolbox:one')
})

t.test('without toolbox.flavor or a flag, the production build is made: a host is a test bed only when its config says offline', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  await buildToolbox(await depsIn(dir, docker, configText(dir).replace('  flavor: offline\n', '')), opts())
  t.equal(docker.builds[0]?.dockerfile, 'Dockerfile')
  t.match(configured(dir), /^bastion\/toolbox:production-/)
})

t.test('every build is smoke-tested before it gets a name; one that fails is neither tagged nor configured', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  const out = sink()
  const ok = await buildToolbox(await depsIn(dir, docker), opts({ output: out }))
  t.same(docker.runs.map((r) => [r.image, r.argv[0]]), [[ok.id, 'kubectl'], [ok.id, 'aws'], [ok.id, 'k9s']], 'the built image, by id, before any tag (no agent in this test dir)')
  t.match(out.text, /smoke test: kubectl version --client: ok/)
  docker.runs = []
  docker.answer = (s) => s.argv[0] === 'aws' ? { exitCode: 127, output: 'exec: "aws": executable file not found in $PATH' } : { exitCode: 0, output: '' }
  const text = readFileSync(join(dir, 'bastion.yaml'), 'utf8')
  const tagsBefore = [...docker.refs.keys()]
  await t.rejects(buildToolbox(await depsIn(dir, docker, text), opts({ force: true, tags: ['bastion/toolbox:extra'] })), { code: 'BASTION_ADMIN_IMAGE_SMOKE_FAILED', message: /aws \(`aws --version`\) exited 127/ })
  t.equal(readFileSync(join(dir, 'bastion.yaml'), 'utf8'), text, 'shell.image is unchanged')
  t.same([...docker.refs.keys()], tagsBefore, 'the failed image has no name, not even --tag')
  t.equal(docker.images.size, 3, 'it exists only as an untagged id')
})

t.test('a failed tag is a Docker error', async (t) => {
  const dir = suite(t)
  const docker = new FakeDocker()
  docker.add('bastion/toolbox:one')
  docker.tag = async () => { throw new Error('conflict') }
  await t.rejects(buildToolbox(await depsIn(dir, docker), opts()), { code: 'BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE', message: /tagging/ })
})
