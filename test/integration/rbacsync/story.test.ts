// The story on a real kube-apiserver and moto's IAM: cluster hyades appears, people join
// and leave the tier groups, and `kubectl auth can-i --as` shows exactly the access the
// tiers promise, in the cluster and in namespace taurus (and that no tier below admin
// can reach aws-auth or anything else that grants identity), then none.
import t from 'tap'
import { GetRoleCommand } from '@aws-sdk/client-iam'
import { addUser, canI, cli, createNamespace, groupNames, removeUser, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }]
  }
}

// Who is in which group: every tier in both scopes, johnsmith and pocahontas as in the story.
const PEOPLE: Record<string, string> = {
  frank: 'k8s-admin@hyades',
  johnsmith: 'k8s-poweruser@hyades',
  carol: 'k8s-user@hyades',
  pocahontas: 'k8s-admin@hyades@taurus',
  erin: 'k8s-poweruser@hyades@taurus',
  gina: 'k8s-user@hyades@taurus'
}
const USERS = [...Object.keys(PEOPLE), 'outsider']

// verb, resource, namespace, then who may: the tiers' promise, row by row.
const MATRIX: Array<[string, string, string | undefined, string[]]> = [
  ['get', 'pods', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['get', 'pods', 'default', ['frank', 'johnsmith', 'carol']],
  ['delete', 'deployments.apps', 'taurus', ['frank', 'johnsmith', 'pocahontas', 'erin']],
  ['create', 'pods/exec', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['get', 'pods/exec', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['get', 'pods/log', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['get', 'secrets', 'taurus', ['frank', 'johnsmith', 'pocahontas', 'erin']],
  ['list', 'roles.rbac.authorization.k8s.io', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['create', 'rolebindings.rbac.authorization.k8s.io', 'taurus', ['frank', 'pocahontas']],
  ['escalate', 'roles.rbac.authorization.k8s.io', 'taurus', ['frank', 'pocahontas']],
  ['bind', 'roles.rbac.authorization.k8s.io', 'taurus', ['frank', 'pocahontas']],
  ['create', 'crontabs.stable.example.com', 'taurus', ['frank', 'johnsmith', 'pocahontas', 'erin']],
  ['list', 'crontabs.stable.example.com', 'taurus', ['frank', 'johnsmith', 'carol', 'pocahontas', 'erin', 'gina']],
  ['get', 'nodes', undefined, ['frank', 'johnsmith', 'carol']],
  ['get', 'nodes/proxy', undefined, ['frank', 'johnsmith']],
  ['list', 'namespaces', undefined, ['frank', 'johnsmith', 'carol']],
  ['create', 'clusterroles.rbac.authorization.k8s.io', undefined, ['frank']],
  ['bind', 'clusterroles.rbac.authorization.k8s.io', undefined, ['frank']],
  ['impersonate', 'users', undefined, ['frank']],
  ['approve', 'signers.certificates.k8s.io', undefined, ['frank']],
  ['create', 'customresourcedefinitions.apiextensions.k8s.io', undefined, ['frank', 'johnsmith']],
  // No tier below admin can climb: aws-auth, kube-system's service accounts and pods,
  // webhooks and APIServices are admin's; reading (but secrets) stays everyone's.
  ['update', 'configmaps', 'kube-system', ['frank']],
  ['create', 'configmaps', 'kube-system', ['frank']],
  ['get', 'configmaps', 'kube-system', ['frank', 'johnsmith', 'carol']],
  ['update', 'configmaps', 'default', ['frank', 'johnsmith']],
  ['get', 'secrets', 'kube-system', ['frank']],
  ['create', 'serviceaccounts/token', 'kube-system', ['frank']],
  ['create', 'serviceaccounts/token', 'taurus', ['frank', 'johnsmith', 'pocahontas', 'erin']],
  ['create', 'pods', 'kube-system', ['frank']],
  ['create', 'pods/exec', 'kube-system', ['frank']],
  ['create', 'pods/exec', 'default', ['frank', 'johnsmith', 'carol']],
  ['create', 'mutatingwebhookconfigurations.admissionregistration.k8s.io', undefined, ['frank']],
  ['update', 'validatingwebhookconfigurations.admissionregistration.k8s.io', undefined, ['frank']],
  ['list', 'mutatingwebhookconfigurations.admissionregistration.k8s.io', undefined, ['frank', 'johnsmith', 'carol']],
  ['create', 'apiservices.apiregistration.k8s.io', undefined, ['frank']]
]

async function matrix (s: Awaited<ReturnType<typeof sandbox>>): Promise<Map<string, boolean>> {
  const cells = MATRIX.flatMap(([verb, resource, ns]) => USERS.map((user) => ({ user, verb, resource, ns })))
  const out = new Map<string, boolean>()
  for (let i = 0; i < cells.length; i += 8) {
    await Promise.all(cells.slice(i, i + 8).map(async (c) => { out.set(`${c.user} ${c.verb} ${c.resource} ${c.ns ?? '(cluster)'}`, await canI(s, c.user, c.verb, c.resource, c.ns)) }))
  }
  return out
}

t.test('the story of hyades', async (t) => {
  const s = await sandbox('210000000001')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const config = writeConfig(t.testdir({}), s, { cluster: 'hyades', kubeconfig: s.kubeconfig })
  // A CRD, so that the tiers are seen to cover CRDs' groups (left by an earlier run: fine).
  await s.kube.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD).catch((err: Error) => { if (!/: 409 /.test(err.message)) throw err })
  t.teardown(() => s.kube.del('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com'))

  await t.test('cluster hyades appears: its groups and ClusterRoles are created', async (t) => {
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.same((await groupNames(s)).filter((g) => !g.includes('@default')), ['k8s-admin@hyades', 'k8s-poweruser@hyades', 'k8s-user@hyades'])
    for (const tier of ['admin', 'poweruser', 'user']) {
      const cr = await s.kube.get(`/apis/rbac.authorization.k8s.io/v1/clusterroles/k8s-${tier}%40hyades`) as { metadata: { labels: Record<string, string>, annotations: Record<string, string> } }
      t.equal(cr.metadata.labels['app.kubernetes.io/managed-by'], 'bastion-rbacsync')
      t.equal(cr.metadata.annotations['bastion/iam-group'], `k8s-${tier}@hyades`)
    }
  })

  await t.test('johnsmith joins k8s-poweruser@hyades: a role he can be given, a mapping, a binding', async (t) => {
    await addUser(s, 'johnsmith', 'k8s-poweruser@hyades')
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    const role = (await s.iam.send(new GetRoleCommand({ RoleName: 'johnsmith' }))).Role!
    t.equal(role.Path, '/k8s-access/')
    t.match(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement, [{ Principal: { AWS: 'arn:aws:iam::210000000001:role/bastion-host' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:SourceIdentity': 'johnsmith', 'sts:RoleSessionName': 'johnsmith' } } }, { Action: 'sts:SetSourceIdentity' }])
    t.same(role.Tags?.map((x) => `${x.Key}=${x.Value}`).sort(), ['bastion:user=johnsmith', 'managed-by=bastion-rbacsync'])
    const cm = await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth') as { data: { mapRoles: string } }
    t.equal(cm.data.mapRoles, '- rolearn: arn:aws:iam::210000000001:role/johnsmith\n  username: johnsmith\n')
    t.ok(await canI(s, 'johnsmith', 'delete', 'pods', 'default'))
  })

  await t.test('namespace taurus appears, pocahontas joins k8s-admin@hyades@taurus, and the others their tiers', async (t) => {
    await createNamespace(s, 'taurus')
    let r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.ok((await groupNames(s)).includes('k8s-admin@hyades@taurus'))
    for (const [user, group] of Object.entries(PEOPLE)) if (user !== 'johnsmith') await addUser(s, user, group)
    await addUser(s, 'outsider')
    r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.equal(r.users, 6)
    t.same(await roleNames(s, '/k8s-access/'), Object.keys(PEOPLE).sort())
  })

  await t.test('kubectl auth can-i --as: every tier in both scopes gets what it promises', async (t) => {
    const seen = await matrix(s)
    for (const [verb, resource, ns, allowed] of MATRIX) {
      for (const user of USERS) {
        const key = `${user} ${verb} ${resource} ${ns ?? '(cluster)'}`
        t.equal(seen.get(key), allowed.includes(user), `${key}: ${allowed.includes(user) ? 'yes' : 'no'}`)
      }
    }
  })

  await t.test('a converged run writes nothing, and diff says so', async (t) => {
    const r = await sync(config)
    t.same(r.actions, [])
    t.equal(r.writes, 0)
    t.ok(r.reads > 0)
    const d = await cli(config, 'diff')
    t.equal(d.exitCode, 0, d.stderr)
    t.match(d.stdout, /^no changes: in sync\n6 user\(s\) with access; API calls: \d+ read\(s\), 0 write\(s\)/)
  })

  await t.test('out of the groups, the access is gone: bindings, mappings and roles', async (t) => {
    for (const [user, group] of Object.entries(PEOPLE)) await removeUser(s, user, group)
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    const seen = await matrix(s)
    t.same([...seen].filter(([, yes]) => yes), [], 'nobody can do anything')
    t.same(await roleNames(s, '/k8s-access/'), [])
    const cm = await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth') as { data: { mapRoles: string }, metadata: { annotations: Record<string, string> } }
    t.notMatch(cm.data.mapRoles, /rolearn/)
    t.equal(cm.metadata.annotations['bastion/rbacsync-roles'], '[]')
    t.equal((await sync(config)).writes, 0, 'and that state is converged too')
  })
})
