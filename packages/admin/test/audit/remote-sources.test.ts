import t from 'tap'
import { parseConfigText } from '@bastion/config'
import { AuditConfigSchema } from '../../src/audit/config.ts'
import { parseHostDir, remoteSources } from '../../src/audit/remote-sources.ts'
import { fakeLogs } from './cloudwatch-fakes.ts'
import { collect } from './fixtures.ts'

const parse = (text: string) => parseConfigText(AuditConfigSchema, text)
const progress = { page: () => {} }

t.test('--host-dir takes HOST=DIRECTORY', async (t) => {
  t.same(parseHostDir('bastion-b=/srv/trails/b=1'), { host: 'bastion-b', dir: '/srv/trails/b=1' })
  for (const bad of ['/srv/trails', '=/srv', 'bastion-b=', 'bad host=/x', '../x=/y']) {
    t.throws(() => parseHostDir(bad), { code: 'BASTION_ADMIN_AUDIT_BAD_HOST_DIR' }, bad)
  }
})

t.test('host directories from the flags win over audit.hostDirs', async (t) => {
  const config = parse('audit: { hostDirs: { bastion-a: /srv/a }, cloudwatch: { kubernetes: false } }')
  t.same((await remoteSources(config, { kubeFromFlags: false }, collect(), progress)).hostDirs, [{ host: 'bastion-a', dir: '/srv/a' }])
  t.same((await remoteSources(config, { kubeFromFlags: false, hostDirs: ['bastion-b=/srv/b'] }, collect(), progress)).hostDirs, [{ host: 'bastion-b', dir: '/srv/b' }])
})

t.test('no CloudWatch reader without a group to read; with one, the config\'s settings', async (t) => {
  t.equal((await remoteSources(parse('{}'), { kubeFromFlags: false }, collect(), progress)).cloudwatch, null)
  const logs = fakeLogs({})
  const r = await remoteSources(parse('clusters: [{ name: hyades, region: eu-west-1 }]\naudit: { cloudwatch: { pageSize: 5, maxAttempts: 3, timeoutMs: 2000 } }'), { kubeFromFlags: false }, collect(), progress, { logs })
  t.equal(r.cloudwatch?.api, logs)
  t.same(r.cloudwatch?.settings, { pageSize: 5, maxAttempts: 3, timeoutMs: 2000 })
  t.equal(r.cloudwatch?.progress, progress)
  t.same(r.groups.kube.map((g) => g.logGroup), ['/aws/eks/hyades/cluster'])
  const real = await remoteSources(parse('audit: { cloudwatch: { cloudTrail: { logGroup: trail }, endpoint: "http://127.0.0.1:1" } }'), { kubeFromFlags: false }, collect(), progress)
  t.type(real.cloudwatch?.api.filterLogEvents, 'function', 'the real client when none is given')
})

t.test('discovery uses the given EKS client, or a real one only when regions are set', async (t) => {
  const config = parse('toolbox: { kubeconfig: { discover: { regions: [eu-west-1] } } }')
  const r = await remoteSources(config, { kubeFromFlags: false }, collect(), progress, { logs: fakeLogs({}), eks: { listClusters: async () => ['taurus'], describeCluster: async () => { throw new Error('no') } } })
  t.same(r.groups.kube.map((g) => `${g.cluster} ${g.region}`), ['taurus eu-west-1'])
})
