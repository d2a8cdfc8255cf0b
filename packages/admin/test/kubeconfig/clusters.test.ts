// Which clusters get a context: the listed ones (described when their endpoint and CA
// are left out) and the discovered ones, and a failed EKS call fails the whole run.
import t from 'tap'
import { resolveClusters } from '../../src/kubeconfig/clusters.ts'
import { FakeEks, caOf } from '../fixtures/toolbox.ts'

function eks (): FakeEks {
  const e = new FakeEks()
  e.clusters.set('eu-west-1/hyades', { endpoint: 'https://hyades.eks', certificateAuthority: caOf('h'), status: 'ACTIVE' })
  e.clusters.set('eu-west-1/orion', { endpoint: 'https://orion.eks', certificateAuthority: caOf('o'), status: 'ACTIVE' })
  e.clusters.set('us-east-2/pleiades', { endpoint: 'https://pleiades.eks', certificateAuthority: caOf('p'), status: 'ACTIVE' })
  return e
}

t.test('a listed cluster with endpoint and CA is used as it is, without any EKS call', async (t) => {
  const e = eks()
  const ca = caOf('x').replace(/(.{20})/g, '$1\n')
  const r = await resolveClusters([{ name: 'x', region: 'eu-west-1', endpoint: 'https://x.example', certificateAuthority: ca }], [], e)
  t.same(r.clusters, [{ name: 'x', region: 'eu-west-1', endpoint: 'https://x.example', certificateAuthority: caOf('x'), source: 'config' }], 'whitespace in the CA is dropped')
  t.same(e.calls, [])
})

t.test('a listed cluster without endpoint and CA is described', async (t) => {
  const e = eks()
  const r = await resolveClusters([{ name: 'hyades', region: 'eu-west-1' }], [], e)
  t.same(r.clusters, [{ name: 'hyades', region: 'eu-west-1', endpoint: 'https://hyades.eks', certificateAuthority: caOf('h'), source: 'described' }])
  t.same(e.calls, ['describe eu-west-1/hyades'])
})

t.test('discovery adds every cluster of each region, sorted, after the listed ones, once', async (t) => {
  const e = eks()
  const r = await resolveClusters([{ name: 'orion', region: 'eu-west-1' }], ['eu-west-1', 'us-east-2'], e)
  t.same(r.clusters.map((c) => `${c.region}/${c.name}/${c.source}`), ['eu-west-1/orion/described', 'eu-west-1/hyades/discovered', 'us-east-2/pleiades/discovered'])
  t.same(e.calls, ['describe eu-west-1/orion', 'list eu-west-1', 'list us-east-2', 'describe eu-west-1/hyades', 'describe us-east-2/pleiades'], 'every region is listed (the shared discovery), then each found cluster described')
})

t.test('a discovered cluster still being created is skipped with a note; a listed one is an error', async (t) => {
  const e = eks()
  e.clusters.set('eu-west-1/nascent', { endpoint: undefined, certificateAuthority: undefined, status: 'CREATING' })
  const r = await resolveClusters([], ['eu-west-1'], e)
  t.same(r.clusters.map((c) => c.name), ['hyades', 'orion'])
  t.same(r.notes, ['skipped cluster nascent in eu-west-1: no endpoint or CA yet (status CREATING)'])
  await t.rejects(resolveClusters([{ name: 'nascent', region: 'eu-west-1' }], [], e), { code: 'BASTION_ADMIN_KUBECONFIG_EKS_FAILED', message: /nascent.*CREATING/ })
})

t.test('one name in two regions is a conflict', async (t) => {
  const e = eks()
  e.clusters.set('us-east-2/hyades', { endpoint: 'https://h2', certificateAuthority: caOf('h2'), status: 'ACTIVE' })
  await t.rejects(resolveClusters([{ name: 'hyades', region: 'eu-west-1' }], ['us-east-2'], e), { code: 'BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT', message: /hyades is in eu-west-1 and us-east-2/ })
})

t.test('a failed EKS call fails the run, naming the call', async (t) => {
  const e = eks()
  e.fail = new Error('UnrecognizedClientException: The security token included in the request is invalid')
  await t.rejects(resolveClusters([], ['eu-west-1'], e), { code: 'BASTION_ADMIN_KUBECONFIG_EKS_FAILED', message: /^ListClusters in eu-west-1 failed: UnrecognizedClientException/ })
  await t.rejects(resolveClusters([{ name: 'hyades', region: 'eu-west-1' }], [], e), { message: /^DescribeCluster hyades in eu-west-1 failed/ })
  await t.rejects(resolveClusters([{ name: 'ghost', region: 'eu-west-1' }], [], eks()), { code: 'BASTION_ADMIN_KUBECONFIG_EKS_FAILED', message: /No cluster found for name: ghost/ })
})

t.test('a CA that is not base64 of a PEM certificate is refused', async (t) => {
  await t.rejects(resolveClusters([{ name: 'x', region: 'eu-west-1', endpoint: 'https://x', certificateAuthority: Buffer.from('not a cert').toString('base64') }], [], eks()), { code: 'BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID', message: /cluster x/ })
})

t.test("what EKS answers as the CA is taken as it comes (an emulator's is not a PEM)", async (t) => {
  const e = eks()
  e.clusters.set('eu-west-1/emulated', { endpoint: 'https://e.eks', certificateAuthority: 'KXcvD8pT\na1ShMWwl', status: 'ACTIVE' })
  const r = await resolveClusters([{ name: 'emulated', region: 'eu-west-1' }], [], e)
  t.equal(r.clusters[0]?.certificateAuthority, 'KXcvD8pTa1ShMWwl')
})
