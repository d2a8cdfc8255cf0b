// Observing: exact path matches, and which failed reads are reported how.
import t from 'tap'
import { FakeIam, FakeKube } from '../fixtures/fakes.ts'
import { observe, type ClusterSource } from '../../src/reconcile/observe.ts'
import { defaultClusterSettings } from '../../src/config/schema.ts'
import { DiscoveryIncomplete } from '../../src/kube/discovery.ts'

const source = (kube: FakeKube, mapping: 'aws-auth' | 'access-entries' = 'aws-auth'): ClusterSource => ({
  name: 'hyades',
  settings: { ...defaultClusterSettings(), identityMapping: mapping },
  open: async () => ({ kube })
})

t.test('only groups and roles exactly under our path are read as ours', async (t) => {
  const iam = new FakeIam().addGroup('a', ['u']).addGroup('b', [], '/k8s-access/deeper/').addGroup('c', [], '/')
  iam.roles.set('r1', { path: '/k8s-access/', trustPolicy: '', maxSessionDuration: 3600, tags: [] })
  iam.roles.set('r2', { path: '/k8s-access/x/', trustPolicy: '', maxSessionDuration: 3600, tags: [] })
  const obs = await observe(iam, '/k8s-access/', [], 4)
  t.same(obs.iam?.groups, [{ name: 'a', members: ['u'] }])
  t.same(obs.iam?.roles.map((r) => r.name), ['r1'])
  t.same(iam.calls.filter((c) => c.startsWith('groupMembers')), ['groupMembers a'], 'no GetGroup for groups that are not ours')
})

t.test('an aws-auth we cannot parse is a failed read with its own code', async (t) => {
  const kube = new FakeKube()
  kube.setConfigMap({ metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: 'rolearn: [unclosed' } })
  const obs = await observe(new FakeIam(), '/k8s-access/', [source(kube)], 4)
  t.equal(obs.clusters.get('hyades'), undefined)
  t.match(obs.failures, [{ code: 'BASTION_RBACSYNC_AWS_AUTH_INVALID', subject: 'hyades', message: /could not read kube-system\/aws-auth: .*mapRoles is not valid YAML/ }])
})

t.test('every failed read of a cluster is listed, not just the first', async (t) => {
  const kube = new FakeKube()
  kube.failures.set('discover', new Error('stale'))
  kube.failures.set('list Role', new Error('timeout'))
  const obs = await observe(new FakeIam(), '/k8s-access/', [source(kube)], 4)
  t.same(obs.failures.map((f) => f.message).sort(), ['could not read API discovery: stale', 'could not read Role objects: timeout'])
})

t.test('access-entries mode without an EKS client is a failed read', async (t) => {
  const obs = await observe(new FakeIam(), '/k8s-access/', [source(new FakeKube(), 'access-entries')], 4)
  t.match(obs.failures, [{ message: /EKS access entries: no EKS client/ }])
})

t.test('a failed IAM list names what could not be read', async (t) => {
  const iam = new FakeIam()
  iam.failures.set('listRoles', Object.assign(new Error('denied'), { name: 'AccessDenied' }))
  const obs = await observe(iam, '/k8s-access/', [], 4)
  t.equal(obs.iam, undefined)
  t.match(obs.failures, [{ subject: 'iam', message: 'could not read IAM roles under /k8s-access/: AccessDenied: denied' }])
})

t.test('discovery missing some groups is a failed read that still yields the cluster, marked', async (t) => {
  const kube = new FakeKube()
  kube.namespaces.push('taurus')
  kube.failures.set('discover', new DiscoveryIncomplete([{ group: '', resource: 'pods', namespaced: true, verbs: ['get'] }], ['metrics.k8s.io/v1beta1'], ['discovery of metrics.k8s.io/v1beta1 is stale: its API service is unavailable']))
  const obs = await observe(new FakeIam(), '/k8s-access/', [source(kube)], 4)
  t.match(obs.clusters.get('hyades'), { discoveryMissing: ['metrics.k8s.io/v1beta1'], resources: [{ resource: 'pods' }], namespaces: ['taurus'] })
  t.same([...obs.clusters.get('hyades')!.namespaceUids], [['taurus', 'ns-uid-taurus']])
  t.match(obs.failures, [{ code: 'BASTION_RBACSYNC_READ_FAILED', subject: 'hyades', message: /could not read API discovery in full .*: discovery of metrics\.k8s\.io\/v1beta1 is stale/ }])
})
