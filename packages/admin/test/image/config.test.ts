// The toolbox section's defaults and refusals, and the whole file as `bastion image` and
// `bastion kubeconfig` read it: the shell's sections by the shell's own schema.
import t from 'tap'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigProblem } from '@bastion/config'
import { loadToolboxConfig, parseToolboxConfig } from '../../src/image/config.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))

t.test('an empty file gives the documented defaults', async (t) => {
  const c = parseToolboxConfig('')
  t.same(c.toolbox, {
    repository: 'bastion/toolbox',
    flavor: 'production',
    offline: { base: 'bastion/debian:bookworm', k9s: '/opt/bastion/bin/k9s', kubectl: '/opt/bastion/bin/kubectl' },
    production: {},
    historyFile: '/var/lib/bastion/toolbox-images.json',
    buildTimeoutSeconds: 3600,
    dockerTimeoutMs: 30000,
    kubeconfig: { execApiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', discover: { regions: [] }, timeoutMs: 10000 }
  })
  t.equal(c.shell.image, 'bastion/toolbox:latest')
  t.equal(c.shell.kubeconfigDir, '/etc/bastion/kube')
  t.same(c.clusters, [])
})

t.test('the shipped example parses', async (t) => {
  const { config } = await loadToolboxConfig(EXAMPLE)
  t.equal(config.toolbox.repository, 'bastion/toolbox')
})

t.test('unknown keys and bad values are refused by key path, in toolbox, shell and clusters', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['toolbox:\n  repo: x\n', /toolbox\.repo: unknown key/],
    ['toolbox:\n  flavor: fast\n', /toolbox\.flavor: /],
    ['toolbox:\n  repository: Bad/Name\n', /toolbox\.repository: Expected string to match/],
    ['toolbox:\n  historyFile: relative.json\n', /toolbox\.historyFile: /],
    ['toolbox:\n  kubeconfig:\n    execApiVersion: client.authentication.k8s.io/v1alpha1\n', /toolbox\.kubeconfig\.execApiVersion: /],
    ['toolbox:\n  kubeconfig:\n    discover:\n      regions: [Mars-1]\n', /toolbox\.kubeconfig\.discover\.regions\.0: /],
    ['toolbox:\n  kubeconfig:\n    eksEndpoint: ftp://x\n', /toolbox\.kubeconfig\.eksEndpoint: /],
    ['shell:\n  imagee: x\n', /shell\.imagee: unknown key/],
    ['clusters:\n  - {name: a, region: eu-west-1}\n  - {name: a, region: eu-west-1}\n', /clusters\.1\.name: cluster "a" is listed twice/],
    ['colour: blue\n', /colour: unknown key/]
  ]
  for (const [yaml, problem] of cases) t.throws(() => parseToolboxConfig(yaml), { message: problem }, yaml)
})

t.test('a missing file is an unreadable ConfigProblem naming it', async (t) => {
  const path = join(t.testdir({}), 'absent.yaml')
  const err = await loadToolboxConfig(path).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ConfigProblem && err.unreadable, 'an unreadable ConfigProblem')
  t.match(err, { message: path })
})

t.test('the loaded config keeps its text and path, for the writer that edits it', async (t) => {
  const dir = t.testdir({ 'b.yaml': '# hi\nshell:\n  image: x:1\n' })
  const l = await loadToolboxConfig(join(dir, 'b.yaml'))
  t.same([l.path, l.text, l.config.shell.image], [join(dir, 'b.yaml'), '# hi\nshell:\n  image: x:1\n', 'x:1'])
})
