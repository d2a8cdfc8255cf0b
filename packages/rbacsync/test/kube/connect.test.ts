// Reaching a cluster: a kubeconfig from the config, or EKS's endpoint and CA (given or
// from DescribeCluster) with an IAM token.
import t from 'tap'
import { join } from 'node:path'
import { EKSClient } from '@aws-sdk/client-eks'
import { kubeConfigFor } from '../../src/kube/connect.ts'
import { defaultClusterSettings } from '../../src/config/schema.ts'

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
  - {name: a, cluster: {server: "https://127.0.0.1:6443"}}
  - {name: b, cluster: {server: "https://127.0.0.2:6443"}}
users: [{name: u, user: {token: t}}]
contexts:
  - {name: ca, context: {cluster: a, user: u}}
  - {name: cb, context: {cluster: b, user: u}}
current-context: ca
`

const eks = (answer: unknown, seen: unknown[] = []) => () => {
  const c = new EKSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  c.send = (async (cmd: { input: unknown }) => { seen.push(cmd.input); return answer }) as never
  return c
}
const credentials = async () => ({ accessKeyId: 'a', secretAccessKey: 'b' })

t.test('a kubeconfig path, with its current context or the one named', async (t) => {
  const dir = t.testdir({ kc: kubeconfig })
  const settings = { ...defaultClusterSettings(), kubeconfig: join(dir, 'kc') }
  const deps = { eks: eks({}), credentials }
  t.equal((await kubeConfigFor({ name: 'hyades', region: 'eu-west-1' }, settings, deps)).getCurrentCluster()?.server, 'https://127.0.0.1:6443')
  t.equal((await kubeConfigFor({ name: 'hyades', region: 'eu-west-1' }, { ...settings, context: 'cb' }, deps)).getCurrentCluster()?.server, 'https://127.0.0.2:6443')
  await t.rejects(kubeConfigFor({ name: 'hyades', region: 'eu-west-1' }, { ...settings, context: 'nope' }, deps), { message: /has no context nope/ })
})

t.test('a kubeconfig without a current cluster is refused', async (t) => {
  const dir = t.testdir({ kc: 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n' })
  await t.rejects(kubeConfigFor({ name: 'h', region: 'eu-west-1' }, { ...defaultClusterSettings(), kubeconfig: join(dir, 'kc') }, { eks: eks({}), credentials }), { message: /has no current cluster/ })
})

t.test('EKS: endpoint and CA from the clusters list, or DescribeCluster; a bearer token for the cluster', async (t) => {
  const seen: unknown[] = []
  const described = await kubeConfigFor({ name: 'hyades', region: 'eu-west-1' }, defaultClusterSettings(), {
    eks: eks({ cluster: { endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', certificateAuthority: { data: 'Q0EK\n' } } }, seen), credentials
  })
  t.same(seen, [{ name: 'hyades' }])
  t.equal(described.getCurrentCluster()?.server, 'https://ABC.gr7.eu-west-1.eks.amazonaws.com')
  t.equal(described.getCurrentCluster()?.caData, 'Q0EK')
  t.match(described.getCurrentUser()?.token, /^k8s-aws-v1\./)
  const given = await kubeConfigFor({ name: 'hyades', region: 'eu-west-1', endpoint: 'https://127.0.0.1:6443', certificateAuthority: 'Q0E=' }, defaultClusterSettings(), { eks: eks({}, seen), credentials, stsEndpoint: 'http://127.0.0.1:5011', partition: 'aws' })
  t.equal(given.getCurrentCluster()?.server, 'https://127.0.0.1:6443')
  t.equal(seen.length, 1, 'no DescribeCluster when the list says where it is')
  await t.rejects(kubeConfigFor({ name: 'x', region: 'eu-west-1' }, defaultClusterSettings(), { eks: eks({ cluster: {} }), credentials }), { message: /returned no endpoint or CA for x/ })
})
