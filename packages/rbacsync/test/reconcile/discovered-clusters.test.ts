// Discovered clusters in the plan and the run: synced like listed ones with their
// settings (or the defaults), what discovery could not read is in the report, and a
// cluster of our groups that nobody lists or discovers is reported, never pruned.
import t from 'tap'
import { FakeIam, FakeKube } from '../fixtures/fakes.ts'
import { testConfig } from '../fixtures/config.ts'
import { memoryLogger } from '../fixtures/log.ts'
import { runSync } from '../../src/sync.ts'
import { createMeter } from '../../src/reconcile/meter.ts'
import { problem } from '../../src/errors.ts'
import { parseConfig } from '../../src/config/load.ts'

const config = testConfig('  discover: {regions: [eu-north-1]}\n')
const run = (iam: FakeIam, names: string[], discovery = { problems: [], heldBack: [], complete: true } as Parameters<typeof runSync>[1]['discovery']) => {
  const kube = new FakeKube()
  const sources = names.map((name) => ({ name, settings: { identityMapping: 'aws-auth' as const, includeNamespaces: [], excludeNamespaces: [] }, open: async () => ({ kube }) }))
  return runSync(config, { iam, sources, meter: createMeter(), log: memoryLogger().log, now: () => 0, ...(discovery !== undefined ? { discovery } : {}) }, { dryRun: false })
}

t.test('a discovered cluster gets its groups, beside the listed one', async (t) => {
  const iam = new FakeIam()
  const r = await run(iam, ['hyades', 'alcyone'])
  t.ok(r.ok, JSON.stringify(r.problems))
  t.same([...iam.groups.keys()].sort(), ['k8s-admin@alcyone', 'k8s-admin@hyades', 'k8s-poweruser@alcyone', 'k8s-poweruser@hyades', 'k8s-user@alcyone', 'k8s-user@hyades'])
})

t.test('a cluster gone from discovery: reported, its groups and roles kept', async (t) => {
  const iam = new FakeIam()
  await run(iam, ['hyades', 'alcyone'])
  iam.groups.get('k8s-user@alcyone')!.members.add('maia')
  await run(iam, ['hyades', 'alcyone'])
  t.ok(iam.roles.has('maia'))
  const r = await run(iam, ['hyades'])
  t.ok(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_CLUSTER_GONE', severity: 'warning', subject: 'alcyone', message: /3 of our groups name it.*decommission alcyone/ }])
  t.ok(iam.groups.has('k8s-user@alcyone'))
  t.ok(iam.roles.has('maia'))
  const blind = await run(iam, ['hyades'], { complete: false, problems: [problem('BASTION_RBACSYNC_READ_FAILED', 'eu-north-1', 'could not list')], heldBack: ['eu-north-1: ListClusters failed'] })
  t.notOk(blind.ok)
  t.same(blind.heldBack, ['eu-north-1: ListClusters failed'])
  t.notOk(blind.problems.some((p) => p.code === 'BASTION_RBACSYNC_CLUSTER_GONE'), 'with a region unread, nothing is called gone')
  t.ok(iam.roles.has('maia'))
})

t.test('the config: discover.regions, and settings for clusters it may find', async (t) => {
  const base = 'aws: {accountId: "123456789012"}\nrbacsync:\n  iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}\n'
  const c = parseConfig(`${base}  discover: {regions: [eu-north-1]}\n  clusters: {alcyone: {identityMapping: access-entries}}\n`)
  t.same(c.rbacsync.discover.regions, ['eu-north-1'])
  t.throws(() => parseConfig(`${base}  clusters: {alcyone: {}}\n`), /no cluster of that name/)
  t.throws(() => parseConfig(`${base}  discover: {regions: [Europe]}\n`), /rbacsync\.discover\.regions/)
})
