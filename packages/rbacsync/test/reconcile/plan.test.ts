// The plan: revocation per cluster (a failed read holds back only what it could
// affect), namespaces made again, IAM limits, stale groups, role drift, unreadable clusters.
import t from 'tap'
import { world, ops } from '../fixtures/world.ts'
import { trustPolicy } from '../../src/iam/trust-policy.ts'
import { ownedMeta } from '../../src/model/marks.ts'
import { makePlan } from '../../src/reconcile/plan.ts'
import { planSettings } from '../../src/sync.ts'
import { DiscoveryIncomplete } from '../../src/kube/discovery.ts'

const grown = async () => {
  const w = world()
  w.kube.namespaces.push('taurus')
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.add('johnsmith')
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.add('pocahontas')
  await w.sync()
  return w
}

t.test('a failed read of IAM means no writes at all, and the report names the read', async (t) => {
  const w = await grown()
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.delete('pocahontas')
  w.iam.failures.set('groupMembers k8s-user@hyades', Object.assign(new Error('Internal failure'), { name: 'ServiceFailure' }))
  const r = await w.sync()
  t.notOk(r.ok)
  t.same(r.heldBack, ['IAM could not be read in full: nothing was written anywhere and no access was taken away'])
  t.same(r.actions, [])
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_READ_FAILED', subject: 'iam', message: /could not read the members of IAM group k8s-user@hyades: ServiceFailure: Internal failure/ }])
  t.ok(w.iam.roles.has('pocahontas'))
})

t.test('a read failing halfway through a list leaves that cluster alone; IAM\'s removals go ahead', async (t) => {
  const w = await grown()
  w.iam.groups.get('k8s-admin@hyades@taurus')!.members.delete('pocahontas')
  w.iam.groups.get('k8s-user@hyades')!.members.add('newcomer')
  w.kube.calls.length = 0
  w.kube.failures.set('list RoleBinding', new Error('GET /apis/rbac.authorization.k8s.io/v1/rolebindings?limit=500&continue=abc: 500 etcd timeout'))
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_READ_FAILED', subject: 'hyades', message: /RoleBinding objects: .*continue=abc/ }])
  t.match(r.heldBack, [/^hyades could not be read in full: nothing on it was changed/])
  t.same(w.kube.writes(), [], 'not a single write to the cluster that could not be read')
  t.same(w.kube.get('RoleBinding', 'k8s-admin@hyades@taurus', 'taurus')?.subjects?.map((s) => s.name), ['pocahontas'])
  t.notOk(w.iam.roles.has('pocahontas'), 'the role of a user with no grant left goes: revocation does not wait for the cluster')
  t.ok(w.iam.roles.has('newcomer'), 'additive IAM changes happen')
  t.ok(w.iam.roles.has('johnsmith'), 'a member of the unreadable cluster\'s groups keeps the role')
})

t.test('one cluster unreadable: the other is synced in full, removals included', async (t) => {
  const w = await grown()
  w.kube.namespaces.push('orion')
  await w.sync()
  w.iam.groups.get('k8s-poweruser@hyades')!.members.delete('johnsmith')
  w.iam.groups.get('k8s-poweruser@hyades')!.members.add('newcomer')
  w.iam.addGroup('k8s-user@other', ['olga'])
  // IAM and hyades read fine, but a second cluster does not.
  const plan = makePlan({
    iam: { groups: [...w.iam.groups].map(([name, g]) => ({ name, path: g.path, members: [...g.members] })), roles: [...await w.iam.listRoles(), { name: 'olga', path: '/k8s-access/', arn: 'arn:aws:iam::123456789012:role/k8s-access/olga', trustPolicy: trustPolicy(['arn:aws:iam::123456789012:role/bastion-host'], 'olga'), maxSessionDuration: 3600 }] },
    clusters: new Map([['hyades', { namespaces: w.kube.namespaces, namespaceUids: new Map(w.kube.namespaces.map((n) => [n, `ns-uid-${n}`])), resources: w.kube.resources, discoveryMissing: [], objects: [...w.kube.objects.values()], awsAuth: w.kube.configMaps.get('kube-system/aws-auth') }], ['other', undefined]]),
    ports: new Map(),
    failures: [{ code: 'BASTION_RBACSYNC_READ_FAILED', severity: 'error', subject: 'other', message: 'down' }]
  }, { ...planSettings(w.config), clusters: [...planSettings(w.config).clusters, { name: 'other', settings: planSettings(w.config).clusters[0]!.settings }] })
  t.match(plan.heldBack, [/^other could not be read in full/])
  t.equal(plan.heldBack.length, 1)
  const binding = plan.actions.find((a) => a.op === 'replaceObject' && a.object.metadata.name === 'k8s-poweruser@hyades')
  t.same(binding && 'object' in binding ? binding.object.subjects?.map((s) => s.name) : [], ['newcomer'])
  t.match(plan.actions.find((a) => a.op === 'updateAwsAuth'), { cluster: 'hyades', added: ['newcomer'], removed: ['johnsmith'] })
  t.same(plan.actions.filter((a) => a.op === 'deleteRole').map((a) => 'role' in a && a.role), ['johnsmith'], 'his role goes; olga, granted on the unreadable cluster, keeps hers')
  t.notOk(plan.actions.some((a) => 'cluster' in a && a.cluster === 'other'), 'nothing is planned for the cluster that could not be read')
})

t.test('a cluster that cannot be reached is a read failure', async (t) => {
  const w = world()
  w.openError = new Error('getaddrinfo ENOTFOUND')
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_CLUSTER_UNREACHABLE', subject: 'hyades', message: /how to reach the cluster: getaddrinfo ENOTFOUND/ }])
  t.match(r.heldBack, [/^hyades could not be read in full/], 'it counts as a failed read')
  t.same(ops(r), [])
})

t.test('members of groups of an unreadable cluster keep their roles', async (t) => {
  const w = await grown()
  w.kube.failures.set('listNamespaces', new Error('down'))
  const r = await w.sync()
  t.same(ops(r), [])
  t.equal(r.users, 2)
})

t.test('a role name over 64 characters: reported, and nothing of that user is applied', async (t) => {
  const w = world()
  const long = 'x'.repeat(65)
  w.iam.addGroup('k8s-user@hyades', [long, 'alice'])
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_ROLE_NAME_TOO_LONG', subject: long, message: /65 characters, IAM allows 64/ }])
  t.notOk(w.iam.roles.has(long))
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.subjects?.map((s) => s.name), ['alice'])
  t.notMatch(w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles, long)
})

t.test('more than 10 groups: reported, and the user is left exactly as they are', async (t) => {
  const w = world()
  w.kube.namespaces.push(...Array.from({ length: 12 }, (_, i) => `ns${i}`))
  await w.sync()
  w.iam.groups.get('k8s-user@hyades@ns0')!.members.add('busy')
  await w.sync()
  t.ok(w.iam.roles.has('busy'))
  for (let i = 1; i < 12; i++) w.iam.groups.get(`k8s-user@hyades@ns${i}`)!.members.add('busy')
  w.iam.groups.get('k8s-user@hyades@ns0')!.members.delete('busy')
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_TOO_MANY_GROUPS', subject: 'busy', message: /busy is in 11 of our groups, IAM allows 10/ }])
  t.ok(w.iam.roles.has('busy'), 'the role stays')
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@ns0', 'ns0')?.subjects?.map((s) => s.name), ['busy'], 'the old binding stays')
  t.same(w.kube.get('RoleBinding', 'k8s-user@hyades@ns1', 'ns1')?.subjects, [], 'no new binding either')
  t.match(w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles, /role\/busy/, 'the mapping stays')
  // Only the trust policy is kept current: an older, unconditioned one is narrowed.
  w.iam.roles.get('busy')!.trustPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/bastion-host' }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] })
  const again = await w.sync()
  t.same(again.actions, [{ op: 'updateTrust', role: 'busy', user: 'busy' }])
  t.equal(w.iam.roles.get('busy')!.trustPolicy, trustPolicy(['arn:aws:iam::123456789012:role/bastion-host'], 'busy'))
  t.same((await w.sync()).actions, [], 'and then nothing')
})

t.test('a namespace whose group names would pass 128 characters gets no tier at all, and is reported', async (t) => {
  const cluster = 'c'.repeat(60)
  const w = world({ cluster })
  const ok = 'a'.repeat(53) // k8s-poweruser@<60>@<53> is 128 characters
  const tooLong = 'b'.repeat(54) // 129 for poweruser; admin and user would fit
  w.kube.namespaces.push(ok, tooLong)
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_GROUP_NAME_TOO_LONG', subject: tooLong, message: /has 129 characters, IAM allows 128/ }])
  t.equal(r.problems.length, 1)
  t.ok(w.iam.groups.has(`k8s-poweruser@${cluster}@${ok}`))
  t.same([...w.iam.groups.keys()].filter((g) => g.includes(tooLong)), [], 'no group of that namespace')
  t.same([...w.kube.objects.values()].filter((o) => o.metadata.namespace === tooLong && o.metadata.name?.includes(`@${tooLong}`)), [], 'no Role or RoleBinding of the namespace there either')
})

t.test('a group of a scope that went away: deleted when empty, reported while it has members', async (t) => {
  const w = world()
  w.kube.namespaces.push('old', 'gone')
  await w.sync()
  w.iam.groups.get('k8s-user@hyades@gone')!.members.add('carol')
  w.kube.namespaces.length = 0
  const r = await w.sync()
  t.ok(r.ok, 'a stale group is a warning')
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_STALE_GROUP', severity: 'warning', subject: 'k8s-user@hyades@gone' }])
  t.same([...w.iam.groups.keys()].sort(), ['k8s-admin@hyades', 'k8s-poweruser@hyades', 'k8s-user@hyades', 'k8s-user@hyades@gone'])
  t.notOk(w.iam.roles.has('carol'), 'a stale group grants nothing')
})

t.test('groups of other clusters and other names under our path are not ours to judge', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-admin@elsewhere', ['dave']).addGroup('team-ops', ['erin']).addGroup('k8s-user@hyades', ['frank'], '/other-path/')
  w.iam.roles.set('gail', { path: '/k8s-access/', trustPolicy: '{}', maxSessionDuration: 3600, tags: [] })
  w.iam.groups.get('k8s-admin@elsewhere')!.members.add('gail')
  const r = await w.sync()
  t.ok(w.iam.roles.has('gail'), 'a grant on a cluster another configuration syncs keeps the role')
  t.ok(w.iam.groups.has('k8s-admin@elsewhere') && w.iam.groups.has('team-ops'))
  t.notOk(w.iam.roles.has('dave') || w.iam.roles.has('erin') || w.iam.roles.has('frank'))
  t.equal(w.iam.groups.get('k8s-user@hyades')?.path, '/other-path/', 'a same-named group elsewhere is not taken over')
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', subject: 'iam', message: /create IAM group k8s-user@hyades: .*already exists/ }])
  t.equal(r.problems.length, 1)
})

t.test('a role whose trust policy or session length drifted is put back', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-user@hyades', ['alice'])
  await w.sync()
  w.iam.roles.get('alice')!.trustPolicy = encodeURIComponent(trustPolicy(['arn:aws:iam::123456789012:role/someone-else'], 'alice'))
  w.iam.roles.get('alice')!.maxSessionDuration = 7200
  let r = await w.sync()
  t.same(ops(r), ['updateMaxSession', 'updateTrust'])
  t.equal(w.iam.roles.get('alice')!.trustPolicy, trustPolicy(['arn:aws:iam::123456789012:role/bastion-host'], 'alice'))
  w.iam.roles.get('alice')!.trustPolicy = encodeURIComponent(w.iam.roles.get('alice')!.trustPolicy)
  r = await w.sync()
  t.same(ops(r), [], 'IAM returns the document URL-encoded: that is no drift')
  // A role made before the trust policy named its user gets the conditioned one.
  w.iam.roles.get('alice')!.trustPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/bastion-host' }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] })
  r = await w.sync()
  t.same(r.actions, [{ op: 'updateTrust', role: 'alice', user: 'alice' }])
  t.match(JSON.parse(w.iam.roles.get('alice')!.trustPolicy).Statement[0].Condition, { StringEquals: { 'sts:SourceIdentity': 'alice', 'sts:RoleSessionName': 'alice' } })
})

t.test('roles under our path that nobody needs are deleted; a frozen user keeps theirs', async (t) => {
  const w = world()
  w.iam.roles.set('leftover', { path: '/k8s-access/', trustPolicy: '{}', maxSessionDuration: 3600, tags: [] })
  const r = await w.sync()
  t.ok(ops(r).includes('deleteRole'))
  t.notOk(w.iam.roles.has('leftover'))
})

t.test('our objects in scopes that went away are deleted; those of other clusters are not', async (t) => {
  const w = world()
  w.kube.namespaces.push('taurus')
  await w.sync()
  const other = ownedMeta('k8s-admin@pleiades', 'taurus')
  w.kube.put({ kind: 'Role', metadata: other, rules: [] })
  w.kube.namespaces.length = 0
  w.kube.namespaces.push('taurus-renamed')
  w.config = (await import('../fixtures/config.ts')).testConfig('  clusters:\n    hyades: {excludeNamespaces: [taurus]}\n')
  const r = await w.sync()
  t.ok(r.ok)
  t.ok(w.kube.get('Role', 'k8s-admin@pleiades', 'taurus'), 'another cluster name: left alone')
  t.equal([...w.kube.objects.values()].filter((o) => o.metadata.namespace === 'taurus' && o.metadata.name?.includes('hyades')).length, 8, 'objects in a namespace that is now Terminating are left to its deletion (its six, and the cluster tiers\' two bindings)')
})

t.test('discovery missing a group: the tiers\' rules stay as they are, and everything else is synced, removals included', async (t) => {
  const w = await grown()
  const before = w.kube.get('ClusterRole', 'k8s-poweruser@hyades')!.rules
  w.kube.resources = w.kube.resources.filter((r) => r.group !== 'stable.example.com')
  const missing = w.kube.resources
  w.kube.discover = async () => { throw new DiscoveryIncomplete(structuredClone(missing), ['stable.example.com/v1'], ['discovery of stable.example.com/v1 is stale: its API service is unavailable']) }
  w.iam.groups.get('k8s-poweruser@hyades')!.members.delete('johnsmith')
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.heldBack, [/^hyades: API discovery missed stable\.example\.com\/v1: the tiers' rules there were left as they are/])
  t.same(w.kube.get('ClusterRole', 'k8s-poweruser@hyades')!.rules, before, 'the CRD\'s group is not dropped from the rules')
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-poweruser@hyades')!.subjects, [], 'the leaver is unbound')
  t.notOk(w.iam.roles.has('johnsmith'), 'and loses the role')
  t.notMatch(w.kube.configMaps.get('kube-system/aws-auth')?.data?.mapRoles ?? '', /johnsmith/)
  t.equal(w.kube.get('Role', 'k8s-admin@hyades@taurus', 'taurus')!.rules?.length, 1, 'admin, which needs no discovery, as ever')
})
