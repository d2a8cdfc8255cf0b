import t from 'tap'
import { discoverClusters, type EksApi } from '../../src/eks/eks-clusters.ts'

const fakeEks = (regions: Record<string, string[] | Error>): EksApi => ({
  async listClusters (region) {
    const r = regions[region]
    if (r instanceof Error) throw r
    return r ?? []
  },
  async describeCluster () { throw new Error('not used') }
})

t.test('finds the clusters the list does not name, by region then name', async (t) => {
  const found = await discoverClusters([{ name: 'hyades', region: 'eu-west-1' }], ['eu-west-1', 'us-east-1'], fakeEks({ 'eu-west-1': ['pleiades', 'hyades', 'alcyone'], 'us-east-1': ['maia'] }))
  t.same(found, {
    clusters: [{ name: 'alcyone', region: 'eu-west-1' }, { name: 'pleiades', region: 'eu-west-1' }, { name: 'maia', region: 'us-east-1' }],
    failures: [],
    conflicts: []
  })
})

t.test('a region that cannot be listed is a failure of that region only', async (t) => {
  const err = new Error('AccessDenied')
  const found = await discoverClusters([], ['eu-west-1', 'us-east-1'], fakeEks({ 'eu-west-1': err, 'us-east-1': ['maia'] }))
  t.same(found.clusters, [{ name: 'maia', region: 'us-east-1' }])
  t.same(found.failures, [{ region: 'eu-west-1', error: err }])
})

t.test('one name in two regions: a conflict, and no discovered cluster of that name', async (t) => {
  const found = await discoverClusters([{ name: 'hyades', region: 'eu-west-1' }], ['us-east-1', 'eu-north-1'], fakeEks({ 'us-east-1': ['hyades', 'maia'], 'eu-north-1': ['maia'] }))
  t.same(found.clusters, [])
  t.same(found.conflicts, [{ name: 'hyades', regions: ['eu-west-1', 'us-east-1'] }, { name: 'maia', regions: ['us-east-1', 'eu-north-1'] }])
})
