// `bastion kubeconfig write` for real: from the clusters the config lists and from EKS
// discovery against moto (ListClusters, DescribeCluster), written once and then left
// alone, and read by the toolbox image's own kubectl with the v1beta1 exec API.
import t from 'tap'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { CreateClusterCommand, DeleteClusterCommand, EKSClient } from '@aws-sdk/client-eks'
import { uniqueName } from '../../fixtures/authenticator.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { bastion, inImage, toolboxImage } from '../../fixtures/toolbox.ts'

const moto = bedFacts()('BASTION_TEST_STS_ENDPOINT')
// A region of its own, so that other suites' clusters in moto never show up here.
const REGION = 'ap-southeast-2'
const pem = (label: string): string => Buffer.from(`-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString('base64')}\n-----END CERTIFICATE-----\n`).toString('base64')

function configFile (dir: string, clusters: string, kubeconfig = ''): string {
  const path = join(dir, 'bastion.yaml')
  writeFileSync(path, [
    '# a bastion config for this test',
    'shell:',
    `  kubeconfigDir: ${dir}/kube`,
    `clusters: ${clusters}`,
    'toolbox:',
    `  historyFile: ${dir}/history.json`,
    '  kubeconfig:',
    `    eksEndpoint: ${moto}`,
    kubeconfig
  ].join('\n') + '\n')
  return path
}

async function kubectl (dir: string, args: string[]): Promise<{ exitCode: number, stdout: string, stderr: string }> {
  return inImage(toolboxImage(), ['kubectl', '--kubeconfig', '/k/config', ...args], { mounts: [`${dir}/kube:/k:ro`] })
}

t.test('from the listed clusters: written once, a second run changes nothing, --check only tells', async (t) => {
  const dir = t.testdir({})
  const listed = `[{name: hyades, region: eu-west-1, endpoint: "https://10.253.0.1:6443", certificateAuthority: "${pem('h')}"}, {name: pleiades, region: us-east-2, endpoint: "https://p.example", certificateAuthority: "${pem('p')}"}]`
  const config = configFile(dir, listed)
  const check = await bastion(config, ['kubeconfig', 'write', '--check'])
  t.equal(check.exitCode, 0, check.stderr)
  t.equal(check.stdout, `would write ${dir}/kube/config: 2 contexts (hyades, pleiades)`)
  t.throws(() => statSync(join(dir, 'kube')), 'the check wrote nothing')

  const first = await bastion(config, ['kubeconfig', 'write'])
  t.equal(first.stdout, `wrote ${dir}/kube/config: 2 contexts (hyades, pleiades)`, first.stderr)
  const before = statSync(join(dir, 'kube', 'config'))
  t.equal(before.mode & 0o777, 0o644)
  const second = await bastion(config, ['kubeconfig', 'write'])
  t.equal(second.stdout, `${dir}/kube/config: no changes, 2 contexts (hyades, pleiades)`)
  const after = statSync(join(dir, 'kube', 'config'))
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'not even rewritten')
  t.equal((await bastion(config, ['kubeconfig', 'write', '--check'])).stdout, `${dir}/kube/config: no changes, 2 contexts (hyades, pleiades)`)
})

t.test("the toolbox image's kubectl reads it: one context per cluster, the exec plugin in v1beta1", async (t) => {
  const dir = t.testdir({})
  const config = configFile(dir, `[{name: hyades, region: eu-west-1, endpoint: "https://10.253.0.1:6443", certificateAuthority: "${pem('h')}"}]`)
  t.equal((await bastion(config, ['kubeconfig', 'write'])).exitCode, 0)
  const contexts = await kubectl(dir, ['config', 'get-contexts', '-o', 'name'])
  t.equal(contexts.exitCode, 0, contexts.stderr)
  t.equal(contexts.stdout, 'hyades')
  const view = JSON.parse((await kubectl(dir, ['config', 'view', '-o', 'json'])).stdout)
  t.same(view.users[0].user.exec, {
    command: 'aws',
    args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'hyades', '--output', 'json'],
    env: null,
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    provideClusterInfo: false,
    // The file names no interactiveMode (v1beta1 has it optional); kubectl 1.33 shows its default.
    interactiveMode: 'IfAvailable'
  })
  t.equal(view['current-context'], 'hyades')
})

t.test('from EKS discovery against moto: every cluster of the region, listed ones first, nothing written after a failure', async (t) => {
  const eks = new EKSClient({ region: REGION, endpoint: moto, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
  const names = [uniqueName('andromeda'), uniqueName('cassiopeia')].sort()
  for (const name of names) {
    await eks.send(new CreateClusterCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {} }))
    t.teardown(() => eks.send(new DeleteClusterCommand({ name })).catch(() => undefined)) // one is deleted by the test
  }
  const dir = t.testdir({})
  const config = configFile(dir, `[{name: hyades, region: eu-west-1, endpoint: "https://10.253.0.1:6443", certificateAuthority: "${pem('h')}"}]`, `    discover: {regions: [${REGION}]}`)
  const r = await bastion(config, ['kubeconfig', 'write'])
  t.equal(r.stdout, `wrote ${dir}/kube/config: 3 contexts (hyades, ${names.join(', ')})`, r.stderr)
  const k = parse(readFileSync(join(dir, 'kube', 'config'), 'utf8'))
  t.same(k.contexts.map((c: { name: string }) => c.name), ['hyades', ...names])
  t.match(k.clusters[1].cluster.server, new RegExp(`^https://.*\\.${REGION}\\.eks\\.amazonaws\\.com`), 'the endpoint DescribeCluster gave')
  t.same(k.users[2].user.exec.args, ['--region', REGION, 'eks', 'get-token', '--cluster-name', names[1], '--output', 'json'])
  t.equal((await bastion(config, ['kubeconfig', 'write'])).stdout, `${dir}/kube/config: no changes, 3 contexts (hyades, ${names.join(', ')})`)

  // A cluster gone from EKS is gone from the kubeconfig at the next write.
  await eks.send(new DeleteClusterCommand({ name: names[0] }))
  t.equal((await bastion(config, ['kubeconfig', 'write'])).stdout, `wrote ${dir}/kube/config: 2 contexts (hyades, ${names[1]})`)

  // EKS unreachable (a closed port on loopback): an error naming the call, and the file
  // stays as it was.
  const written = readFileSync(join(dir, 'kube', 'config'), 'utf8')
  const broken = configFile(dir, '[]', `    discover: {regions: [${REGION}]}\n    timeoutMs: 2000`)
  writeFileSync(broken, readFileSync(broken, 'utf8').replace(`eksEndpoint: ${moto}`, 'eksEndpoint: http://127.0.0.1:9'))
  const failed = await bastion(broken, ['kubeconfig', 'write'])
  t.equal(failed.exitCode, 1)
  t.match(failed.stderr, /^bastion: ListClusters in ap-southeast-2 failed: .*\(BASTION_ADMIN_KUBECONFIG_EKS_FAILED\)$/m)
  t.equal(readFileSync(join(dir, 'kube', 'config'), 'utf8'), written)
})

t.test('bad input is refused with its key path, and nothing is written', async (t) => {
  const dir = t.testdir({})
  const dup = await bastion(configFile(dir, '[{name: a, region: eu-west-1}, {name: a, region: eu-west-1}]'), ['kubeconfig', 'write'])
  t.equal(dup.exitCode, 1)
  t.match(dup.stderr, /clusters\.1\.name: cluster "a" is listed twice.*\(BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID\)/s)
  const pasted = await bastion(configFile(dir, '[{name: a, region: eu-west-1, endpoint: "https://a", certificateAuthority: "bm90IGEgY2VydA=="}]'), ['kubeconfig', 'write'])
  t.match(pasted.stderr, /certificate authority of cluster a is not base64 of a PEM certificate \(BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID\)/)
  const rel = await bastion(configFile(dir, '[]'), ['kubeconfig', 'write', '--output', 'relative/config'])
  t.match(rel.stderr, /--output must be an absolute path/)
  t.throws(() => statSync(join(dir, 'kube')), 'nothing was written')
  t.match((await bastion(configFile(dir, '[]'), ['kubeconfig', 'write', '--help'])).stdout, /Usage: bastion kubeconfig write/)
})
