// The image and kubeconfig steps' hand-over to the `bastion image` and `bastion
// kubeconfig` code: the kubeconfig lands under the root, a dry run writes nothing, and an
// image that cannot be named by a build is refused before anything is built.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildConfiguredImage, writeConfiguredKubeconfig } from '../../src/setup/delegate.ts'
import { hostPaths } from '../../src/setup/paths.ts'
import { APP, hostConfig, scratchDir } from './fixtures.ts'
import { FakeDocker, FakeEks, caOf, sink } from '../fixtures/toolbox.ts'

const config = (extra = '') => hostConfig(`aws: { accountId: "123456789012" }\nshell: { kubeconfigDir: /etc/bastion/kube${extra} }\nclusters: [{ name: hyades, region: eu-west-1, endpoint: "https://hyades.example", certificateAuthority: "${caOf('h')}" }, { name: pleiades, region: eu-west-1 }]\n`)

t.test('the kubeconfig goes to shell.kubeconfigDir under the root; a dry run only says so', async (t) => {
  const root = scratchDir(t)
  const paths = hostPaths({ root, app: APP, node: '/n', config: '/c' })
  const eks = new FakeEks()
  eks.clusters.set('eu-west-1/pleiades', { endpoint: 'https://pleiades.example', certificateAuthority: caOf('p'), status: 'ACTIVE' })
  const file = join(root, 'etc/bastion/kube/config')
  t.same(await writeConfiguredKubeconfig(config(), paths, { dryRun: true }, eks), [`write ${file} (2 contexts: hyades, pleiades)`])
  t.notOk(existsSync(file))
  t.same(await writeConfiguredKubeconfig(config(), paths, { dryRun: false }, eks), [`wrote ${file} (2 contexts: hyades, pleiades)`])
  t.match(readFileSync(file, 'utf8'), /name: pleiades/)
  t.same(await writeConfiguredKubeconfig(config(), paths, { dryRun: false }, eks), [], 'the same file again: no change')
})

t.test('no cluster at all: one kubeconfig with no context', async (t) => {
  const root = scratchDir(t)
  const c = hostConfig('aws: { accountId: "123456789012" }\n')
  t.same(await writeConfiguredKubeconfig(c, hostPaths({ root, app: APP, node: '/n', config: '/c' }), { dryRun: false }, new FakeEks()), [`wrote ${join(root, 'etc/bastion/kube/config')} (0 contexts)`])
})

t.test('an image named by digest or id cannot be built under that name', async (t) => {
  for (const image of ['bastion/toolbox@sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)]) {
    await t.rejects(buildConfiguredImage(hostConfig(), image), { code: 'BASTION_ADMIN_SETUP_IMAGE_FAILED', message: /cannot be tagged with it/ })
  }
})

t.test('a missing image is built from toolbox.context and tagged with shell.image, without a rollout', async (t) => {
  const dir = scratchDir(t)
  mkdirSync(join(dir, 'ctx'))
  writeFileSync(join(dir, 'ctx/Dockerfile'), 'FROM scratch\n')
  const c = hostConfig(`aws: { accountId: "123456789012" }\nshell: { image: "site/toolbox:1" }\ntoolbox: { flavor: production, repository: site/toolbox, context: ${join(dir, 'ctx')} }\n`, join(dir, 'bastion.yaml'))
  const docker = new FakeDocker()
  const out = sink()
  const said = await buildConfiguredImage(c, 'site/toolbox:1', out, docker)
  t.match(said, [/^built site\/toolbox:1 \(sha256:b{12}\), tagged site\/toolbox:production-\d{8}T\d{6}Z, site\/toolbox:sha-b{12}, site\/toolbox:1$/])
  t.ok(docker.refs.has('site/toolbox:1'))
  t.match(out.text, 'Step 1/1', "docker build's progress goes to the output given")
  t.equal(docker.builds.length, 1)
})
