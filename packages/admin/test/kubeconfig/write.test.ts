// `bastion kubeconfig write` without its command line: the file lands in
// shell.kubeconfigDir, and a second run with the same clusters writes nothing.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parseToolboxConfig } from '../../src/image/config.ts'
import { kubeconfigPath, writeKubeconfig } from '../../src/kubeconfig/write.ts'
import { FakeEks, caOf } from '../fixtures/toolbox.ts'

function config (dir: string, extra = ''): ReturnType<typeof parseToolboxConfig> {
  return parseToolboxConfig([
    'shell:',
    `  kubeconfigDir: ${dir}/kube`,
    'clusters:',
    `  - {name: hyades, region: eu-west-1, endpoint: "https://hyades.example", certificateAuthority: "${caOf('h')}"}`,
    'toolbox:',
    '  kubeconfig:',
    '    discover: {regions: [us-east-2]}',
    extra
  ].join('\n'))
}

function eks (): FakeEks {
  const e = new FakeEks()
  e.clusters.set('us-east-2/pleiades', { endpoint: 'https://pleiades.eks', certificateAuthority: caOf('p'), status: 'ACTIVE' })
  return e
}

t.test('writes <shell.kubeconfigDir>/config with the listed and the discovered clusters, readable by all', async (t) => {
  const dir = t.testdir({})
  const c = config(dir)
  t.equal(kubeconfigPath(c), join(dir, 'kube', 'config'))
  const r = await writeKubeconfig(c, eks())
  t.same([r.changed, r.path, r.clusters.map((x) => x.name)], [true, join(dir, 'kube', 'config'), ['hyades', 'pleiades']])
  const k = parse(readFileSync(r.path, 'utf8'))
  t.same(k.contexts.map((x: { name: string }) => x.name), ['hyades', 'pleiades'])
  t.equal(statSync(r.path).mode & 0o777, 0o644)
})

t.test('a second run with the same clusters writes nothing', async (t) => {
  const dir = t.testdir({})
  await writeKubeconfig(config(dir), eks())
  const before = statSync(join(dir, 'kube', 'config'))
  const again = await writeKubeconfig(config(dir), eks())
  t.equal(again.changed, false)
  const after = statSync(join(dir, 'kube', 'config'))
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs])
})

t.test('a dry run says it would write and writes nothing; --output writes elsewhere', async (t) => {
  const dir = t.testdir({})
  t.equal((await writeKubeconfig(config(dir), eks(), { dryRun: true })).changed, true)
  t.throws(() => statSync(join(dir, 'kube')), { code: 'ENOENT' })
  const out = join(dir, 'other', 'kubeconfig')
  t.equal((await writeKubeconfig(config(dir), eks(), { output: out })).path, out)
  t.match(readFileSync(out, 'utf8'), /cluster-name, pleiades|- pleiades/)
})

t.test('the exec API version comes from the config, v1beta1 by default', async (t) => {
  const dir = t.testdir({})
  await writeKubeconfig(config(dir), eks())
  t.equal(parse(readFileSync(join(dir, 'kube', 'config'), 'utf8')).users[0].user.exec.apiVersion, 'client.authentication.k8s.io/v1beta1')
  await writeKubeconfig(config(dir, '    execApiVersion: client.authentication.k8s.io/v1'), eks())
  t.equal(parse(readFileSync(join(dir, 'kube', 'config'), 'utf8')).users[0].user.exec.apiVersion, 'client.authentication.k8s.io/v1')
})

t.test('a failed discovery leaves the file as it was', async (t) => {
  const dir = t.testdir({})
  await writeKubeconfig(config(dir), eks())
  const before = readFileSync(join(dir, 'kube', 'config'), 'utf8')
  const broken = eks()
  broken.fail = new Error('timeout')
  await t.rejects(writeKubeconfig(config(dir), broken), { code: 'BASTION_ADMIN_KUBECONFIG_EKS_FAILED' })
  t.equal(readFileSync(join(dir, 'kube', 'config'), 'utf8'), before)
})

t.test('a path that cannot be written is WRITE_FAILED', async (t) => {
  const dir = t.testdir({ blocker: 'a file where a directory should be' })
  await t.rejects(writeKubeconfig(config(dir), eks(), { output: join(dir, 'blocker', 'config') }), { code: 'BASTION_ADMIN_KUBECONFIG_WRITE_FAILED', message: /blocker/ })
})
