// The config file as rbacsync reads it: defaults, required keys, cross-checks, errors.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, parseConfig } from '../../src/config/load.ts'
import { defaultClusterSettings } from '../../src/config/schema.ts'
import { testConfig } from '../fixtures/config.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))

const base = 'aws: {accountId: "123456789012"}\nclusters: [{name: hyades, region: eu-west-1}]\n'
const problems = (text: string): string[] => {
  try { parseConfig(text) } catch (err) { return ((err as Error).cause as { problems?: string[] }).problems ?? [] }
  return []
}

t.test('defaults: path /k8s-access/, aws-auth, every namespace but kube-*', async (t) => {
  const c = testConfig()
  t.equal(c.rbacsync.iam.path, '/k8s-access/')
  t.equal(c.rbacsync.iam.maxSessionDurationSeconds, 3600)
  t.equal(c.rbacsync.kubernetes.pageSize, 500)
  t.same(defaultClusterSettings(), { identityMapping: 'aws-auth', includeNamespaces: ['*'], excludeNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'] })
})

t.test('the trusted principals are required; the section must name listed clusters only', async (t) => {
  t.same(problems(base), ['rbacsync.iam.trustedPrincipalArns: required key is missing'])
  const r = 'rbacsync: {iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}, clusters: {pleiades: {}, hyades: {context: x}}}\n'
  t.same(problems(base + r), ['rbacsync.clusters.pleiades: no cluster of that name in the top-level clusters list', 'rbacsync.clusters.hyades.context: only means something with a kubeconfig'])
  t.same(problems('aws: {accountId: "123456789012"}\nrbacsync: {iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}}\n'), ['clusters: rbacsync needs at least one cluster to sync, listed or in rbacsync.discover.regions'])
})

t.test('unknown keys and bad values are refused by key path; other sections are left to their owners', async (t) => {
  const r = 'rbacsync: {iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"], path: "no-slash"}, clusters: {hyades: {identityMapping: configmap, colour: red}}}\nshell: {anything: 1}\nmetadataproxy: {x: 1}\n'
  t.match(problems(base + r).sort(), [/^rbacsync\.clusters\.hyades\.colour: unknown key/, /^rbacsync\.clusters\.hyades\.identityMapping: /, /^rbacsync\.iam\.path: /])
  t.throws(() => parseConfig(base + r), { name: 'RbacsyncError', code: 'BASTION_RBACSYNC_CONFIG_INVALID' })
})

t.test('an unreadable file has its own code; a readable one loads', async (t) => {
  const dir = t.testdir({ 'ok.yaml': base + 'rbacsync: {iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}}\n' })
  t.equal((await loadConfig(join(dir, 'ok.yaml'))).clusters[0]?.name, 'hyades')
  await t.rejects(loadConfig(join(dir, 'missing.yaml')), { code: 'BASTION_RBACSYNC_CONFIG_UNREADABLE', message: /missing\.yaml/ })
  await t.rejects(loadConfig(dir), { code: 'BASTION_RBACSYNC_CONFIG_UNREADABLE' })
})

t.test('a non-config error passes through untouched', async (t) => {
  t.throws(() => parseConfig(null as unknown as string), TypeError)
})

t.test('etc/bastion.example.yaml, given a cluster, parses to the defaults it documents', async (t) => {
  const text = readFileSync(EXAMPLE, 'utf8').replace(/^clusters: \[\]$/m, 'clusters: [{name: hyades, region: eu-west-1}]')
  const c = parseConfig(text, 'example')
  const defaults = testConfig()
  t.same(c.rbacsync.iam, { ...defaults.rbacsync.iam, concurrency: 8 })
  t.same(c.rbacsync.kubernetes, defaults.rbacsync.kubernetes)
  t.same(c.rbacsync.clusters, {})
  t.equal(c.rbacsync.log.level, 'info')
  t.same(problems(readFileSync(EXAMPLE, 'utf8')), ['clusters: rbacsync needs at least one cluster to sync, listed or in rbacsync.discover.regions'], 'as shipped, with no cluster, rbacsync refuses to run')
})

t.test('maxSessionDurationSeconds above 3600 is refused, and the error says why (role chaining)', async (t) => {
  const r = 'rbacsync: {iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"], maxSessionDurationSeconds: 7200}}\n'
  t.match(problems(base + r), [/^rbacsync\.iam\.maxSessionDurationSeconds: /])
  t.throws(() => parseConfig(base + r), { code: 'BASTION_RBACSYNC_CONFIG_INVALID', message: /rbacsync\.iam\.maxSessionDurationSeconds: .*3600.*role chaining.*one hour/ })
})

t.test('the source of people: iam by default; identity-center needs its identity store id, well formed', async (t) => {
  t.equal(testConfig().rbacsync.source, 'iam')
  const r = (ic: string): string => `rbacsync: {source: identity-center, identityCenter: {${ic}}, iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}}\n`
  t.same(problems(base + r('')), ['rbacsync.identityCenter.identityStoreId: required when rbacsync.source is identity-center'])
  t.match(problems(base + r('identityStoreId: store-1')), [/^rbacsync\.identityCenter\.identityStoreId: /])
  t.match(problems(base + r('identityStoreId: d-0123456789, region: Mars')), [/^rbacsync\.identityCenter\.region: /])
  t.match(problems(base + r('identityStoreId: d-0123456789, color: red')), [/rbacsync\.identityCenter.*color/])
  const c = parseConfig(base + r('identityStoreId: d-0123456789, region: us-east-1'))
  t.same(c.rbacsync.identityCenter, { identityStoreId: 'd-0123456789', region: 'us-east-1' })
  t.match(problems(base + 'rbacsync: {source: ldap, iam: {trustedPrincipalArns: ["arn:aws:iam::123456789012:role/b"]}}\n'), [/^rbacsync\.source: /])
})
