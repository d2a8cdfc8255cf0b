import t from 'tap'
import { parseConfigText } from '@bastion/config'
import { AuditConfigSchema } from '../../src/audit/config.ts'
import { cloudGroups } from '../../src/audit/log-groups.ts'
import type { EksApi } from '../../src/kubeconfig/eks.ts'
import { collect } from './fixtures.ts'

const parse = (text: string) => parseConfigText(AuditConfigSchema, text)
const eks = (byRegion: Record<string, string[] | Error>): EksApi & { asked: string[] } => {
  const asked: string[] = []
  return {
    asked,
    async listClusters (region) {
      asked.push(region)
      const r = byRegion[region] ?? []
      if (r instanceof Error) throw r
      return r
    },
    async describeCluster () { throw new Error('not called') }
  }
}

t.test('listed and discovered clusters get their EKS log group; a file or an override wins', async (t) => {
  const config = parse([
    'aws: { region: us-east-1 }',
    'clusters: [{ name: hyades, region: eu-west-1 }, { name: pleiades, region: eu-west-1 }, { name: maia, region: us-west-2 }]',
    'toolbox: { kubeconfig: { discover: { regions: [eu-central-1] } } }',
    'audit:',
    '  kubeAuditLogs: { hyades: [/var/log/hyades.log] }',
    '  cloudwatch: { kubeLogGroups: { maia: { logGroup: /custom/maia } }, cloudTrail: { logGroup: trail }, sessionsLogGroup: /bastion/sessions, region: eu-west-2 }'
  ].join('\n'))
  const api = eks({ 'eu-central-1': ['taurus', 'pleiades'] })
  const w = collect()
  const g = await cloudGroups(config, api, false, w)
  t.same(g.kube, [
    { cluster: 'maia', region: 'us-west-2', logGroup: '/custom/maia', streamPrefix: 'kube-apiserver-audit' },
    { cluster: 'pleiades', region: 'eu-west-1', logGroup: '/aws/eks/pleiades/cluster', streamPrefix: 'kube-apiserver-audit' },
    { cluster: 'taurus', region: 'eu-central-1', logGroup: '/aws/eks/taurus/cluster', streamPrefix: 'kube-apiserver-audit' }
  ], 'hyades has a file; maia its own group; pleiades is listed, so discovery does not add it twice')
  t.same(g.cloudTrail, { region: 'eu-west-2', logGroup: 'trail' })
  t.same(g.sessions, { region: 'eu-west-2', logGroup: '/bastion/sessions' })
  t.equal(g.credentials, null)
  t.same(api.asked, ['eu-central-1'])
  t.same(w.all, [])
})

t.test('--kube-audit replaces them all; cloudwatch.kubernetes: false keeps only the overrides', async (t) => {
  const config = parse('clusters: [{ name: hyades, region: eu-west-1 }]\naudit: { cloudwatch: { kubeLogGroups: { maia: { logGroup: /m, region: us-west-2 } } } }')
  t.same((await cloudGroups(config, null, true, collect())).kube, [])
  const off = parse('clusters: [{ name: hyades, region: eu-west-1 }]\naudit: { cloudwatch: { kubernetes: false, kubeLogGroups: { maia: { logGroup: /m } } } }')
  t.same((await cloudGroups(off, null, false, collect())).kube, [{ cluster: 'maia', region: 'us-east-1', logGroup: '/m', streamPrefix: 'kube-apiserver-audit' }], 'in the home region')
})

t.test('a discovery that fails is a warning; without an EKS client nothing is discovered', async (t) => {
  const config = parse('toolbox: { kubeconfig: { discover: { regions: [eu-central-1, us-west-2] } } }')
  const w = collect()
  const g = await cloudGroups(config, eks({ 'eu-central-1': new Error('AccessDeniedException: no'), 'us-west-2': ['taurus'] }), false, w)
  t.same(g.kube.map((k) => k.cluster), ['taurus'])
  t.match(w.all, [/cannot list the EKS clusters of eu-central-1 \(eks:ListClusters: AccessDeniedException: no\)/])
  t.same((await cloudGroups(config, null, false, collect())).kube, [])
})

t.test('the hosts\' groups default to bastion ship\'s when it ships, and only then', async (t) => {
  const on = parse('aws: { region: us-east-1 }\nship: { enabled: true, region: eu-west-3, sessionsLogGroup: /s }\naudit: { cloudwatch: { credentialsLogGroup: /mine } }')
  const g = await cloudGroups(on, null, false, collect())
  t.same(g.sessions, { region: 'eu-west-3', logGroup: '/s' }, 'ship\'s group in ship\'s region')
  t.same(g.credentials, { region: 'us-east-1', logGroup: '/mine' }, 'audit.cloudwatch\'s own wins')
  const home = await cloudGroups(parse('ship: { enabled: true }\naudit: { cloudwatch: { region: ap-south-1 } }'), null, false, collect())
  t.same([home.sessions, home.credentials], [{ region: 'ap-south-1', logGroup: '/bastion/sessions' }, { region: 'ap-south-1', logGroup: '/bastion/credentials' }])
  const off = await cloudGroups(parse('ship: { sessionsLogGroup: /s }'), null, false, collect())
  t.same([off.sessions, off.credentials], [null, null])
})
