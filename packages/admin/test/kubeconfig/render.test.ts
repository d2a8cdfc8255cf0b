// The kubeconfig text: one cluster, context and user per cluster, the aws eks get-token
// exec plugin in the configured API version, and the same bytes for the same input.
import t from 'tap'
import { parse } from 'yaml'
import { renderKubeconfig } from '../../src/kubeconfig/render.ts'
import type { ResolvedCluster } from '../../src/kubeconfig/clusters.ts'
import { caOf } from '../fixtures/toolbox.ts'

const hyades: ResolvedCluster = { name: 'hyades', region: 'eu-west-1', endpoint: 'https://hyades.example', certificateAuthority: caOf('h'), source: 'config' }
const pleiades: ResolvedCluster = { name: 'pleiades', region: 'us-east-2', endpoint: 'https://pleiades.example', certificateAuthority: caOf('p'), source: 'discovered' }
const v1beta1 = { execApiVersion: 'client.authentication.k8s.io/v1beta1' as const, command: 'aws' }

t.test('one cluster, context and user per cluster, each named after the cluster', async (t) => {
  const k = parse(renderKubeconfig([hyades, pleiades], v1beta1))
  t.equal(k.apiVersion, 'v1')
  t.equal(k.kind, 'Config')
  t.same(k.clusters, [
    { name: 'hyades', cluster: { server: 'https://hyades.example', 'certificate-authority-data': caOf('h') } },
    { name: 'pleiades', cluster: { server: 'https://pleiades.example', 'certificate-authority-data': caOf('p') } }
  ])
  t.same(k.contexts, [{ name: 'hyades', context: { cluster: 'hyades', user: 'hyades' } }, { name: 'pleiades', context: { cluster: 'pleiades', user: 'pleiades' } }])
  t.equal(k['current-context'], 'hyades', 'the first cluster by default')
})

t.test('each user runs aws eks get-token for its cluster and region, with JSON output, in the v1beta1 exec API', async (t) => {
  const k = parse(renderKubeconfig([hyades, pleiades], v1beta1))
  t.same(k.users[1], {
    name: 'pleiades',
    user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['--region', 'us-east-2', 'eks', 'get-token', '--cluster-name', 'pleiades', '--output', 'json'] } }
  })
})

t.test('the v1 exec API gets interactiveMode Never, which it requires', async (t) => {
  const k = parse(renderKubeconfig([hyades], { execApiVersion: 'client.authentication.k8s.io/v1', command: '/usr/local/bin/aws' }))
  t.same(k.users[0].user.exec, { apiVersion: 'client.authentication.k8s.io/v1', command: '/usr/local/bin/aws', args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'hyades', '--output', 'json'], interactiveMode: 'Never' })
})

t.test('the same input renders the same bytes, and a header says where the file comes from', async (t) => {
  const a = renderKubeconfig([hyades, pleiades], v1beta1)
  t.equal(renderKubeconfig([hyades, pleiades], v1beta1), a)
  t.match(a, /^# Written by `bastion kubeconfig write`/)
  t.not(renderKubeconfig([pleiades, hyades], v1beta1), a, 'the order of the clusters counts')
})

t.test('currentContext picks the context; one that names no cluster is refused', async (t) => {
  t.equal(parse(renderKubeconfig([hyades, pleiades], { ...v1beta1, currentContext: 'pleiades' }))['current-context'], 'pleiades')
  t.throws(() => renderKubeconfig([hyades], { ...v1beta1, currentContext: 'orion' }), { code: 'BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT', message: /orion.*hyades/ })
  t.throws(() => renderKubeconfig([], { ...v1beta1, currentContext: 'orion' }), { message: /\(none\)/ })
})

t.test('two clusters of one name are refused', async (t) => {
  t.throws(() => renderKubeconfig([hyades, { ...pleiades, name: 'hyades' }], v1beta1), { code: 'BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT' })
})

t.test('no clusters give a valid, empty kubeconfig', async (t) => {
  const k = parse(renderKubeconfig([], v1beta1))
  t.same([k.clusters, k.contexts, k.users, k['current-context']], [[], [], [], ''])
})
