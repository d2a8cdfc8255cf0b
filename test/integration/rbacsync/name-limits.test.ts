// IAM's limits that rbacsync cannot meet are reported and nothing of them is half
// applied: a 70-character user (role names stop at 64), a namespace whose group names
// would pass 128 characters, a user in 11 groups (moto does not enforce IAM's 10).
import t from 'tap'
import { addUser, cli, createNamespace, groupNames, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

// 60 characters: k8s-poweruser@<cluster>@<namespace> reaches 128 with a 53-character namespace.
const CLUSTER = `taurus-moving-group-${'x'.repeat(40)}`
const FITS = 'n'.repeat(53)
const TOO_LONG = 'm'.repeat(54)
const LONG_USER = `u${'v'.repeat(69)}`

t.test('limits are reported, not half applied', async (t) => {
  const s = await sandbox('210000000005')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const spaces = Array.from({ length: 11 }, (_, i) => `ns${i}`)
  for (const n of [FITS, TOO_LONG, ...spaces]) await createNamespace(s, n)
  const config = writeConfig(t.testdir({}), s, { cluster: CLUSTER, kubeconfig: s.kubeconfig })
  await sync(config)
  await addUser(s, LONG_USER, `k8s-user@${CLUSTER}`)
  await addUser(s, 'busy', ...spaces.map((n) => `k8s-user@${CLUSTER}@${n}`))
  await addUser(s, 'fine', `k8s-poweruser@${CLUSTER}@${FITS}`)

  const r = await cli(config, 'sync')
  t.equal(r.exitCode, 2)
  t.match(r.stdout, new RegExp(`error BASTION_RBACSYNC_GROUP_NAME_TOO_LONG \\[${TOO_LONG}\\] namespace ${TOO_LONG} of cluster ${CLUSTER} gets no tiers: the group name k8s-poweruser@${CLUSTER}@${TOO_LONG} has 129 characters, IAM allows 128`))
  t.match(r.stdout, new RegExp(`error BASTION_RBACSYNC_ROLE_NAME_TOO_LONG \\[${LONG_USER}\\] ${LONG_USER} gets no access: the role name has 70 characters, IAM allows 64`))
  t.match(r.stdout, /error BASTION_RBACSYNC_TOO_MANY_GROUPS \[busy\] busy is in 11 of our groups, IAM allows 10 per user: their access was left as it was/)

  const groups = await groupNames(s)
  t.ok(groups.includes(`k8s-poweruser@${CLUSTER}@${FITS}`), 'a 128-character group name is fine')
  t.same(groups.filter((g) => g.includes(TOO_LONG)), [], 'no group of any tier for the namespace that does not fit')
  const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces'
  for (const kind of ['roles', 'rolebindings']) {
    // The namespace's own objects (the cluster tiers' RoleBindings are in every namespace).
    const own = async (ns: string): Promise<unknown[]> => (await s.kube.get(`${rbac}/${ns}/${kind}`) as { items: Array<{ metadata: { name: string } }> }).items.filter((o) => o.metadata.name.endsWith(`@${ns}`))
    t.same(await own(TOO_LONG), [], `no ${kind} there either`)
    t.equal((await own(FITS)).length, 3, `three ${kind} where it fits`)
  }
  t.same(await roleNames(s, '/k8s-access/'), ['fine'], 'no role for the long name, none for the user in too many groups')
  const cm = await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth') as { data: { mapRoles: string } }
  t.equal(cm.data.mapRoles, '- rolearn: arn:aws:iam::210000000005:role/fine\n  username: fine\n')
  for (const n of spaces) {
    const rb = await s.kube.get(`${rbac}/${n}/rolebindings/k8s-user%40${CLUSTER}%40${n}`) as { subjects?: unknown[] }
    t.same(rb.subjects ?? [], [], `busy is not bound in ${n}`)
  }
  const crb = await s.kube.get(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/k8s-user%40${CLUSTER}`) as { subjects?: unknown[] }
  t.same(crb.subjects ?? [], [], 'the long-named user is not bound')
})
