// Objects that are not ours are never touched, even with our names: built-in roles,
// other tools' bindings, a hand-made ClusterRole called k8s-admin@lyra, aws-auth
// entries of nodes and other tools, an IAM group of our name elsewhere, and an IAM
// role with a user's name outside our path (which must not get that user's mapping).
import t from 'tap'
import { GetGroupCommand } from '@aws-sdk/client-iam'
import { addUser, cli, createForeignRole, createGroup, createNamespace, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const RBAC = '/apis/rbac.authorization.k8s.io/v1'
type Obj = { metadata: { resourceVersion: string }, subjects?: unknown, rules?: unknown }

t.test('foreign objects survive every run untouched', async (t) => {
  const s = await sandbox('210000000004')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  await createNamespace(s, 'vega')
  const foreignRole = await s.kube.post(`${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'k8s-admin@lyra', labels: { team: 'platform' } }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] }) as Obj
  const foreignBinding = await s.kube.post(`${RBAC}/namespaces/vega/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'k8s-user@lyra@vega', namespace: 'vega' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'someone', apiGroup: 'rbac.authorization.k8s.io' }] }) as Obj
  const ciBinding = await s.kube.post(`${RBAC}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ci-bot', labels: { 'app.kubernetes.io/managed-by': 'helm' } }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ci', apiGroup: 'rbac.authorization.k8s.io' }] }) as Obj
  const builtins = await Promise.all(['admin', 'edit', 'view', 'cluster-admin'].map(async (n) => s.kube.get(`${RBAC}/clusterroles/${n}`) as Promise<Obj>))
  const foreignMap = '- rolearn: arn:aws:iam::210000000004:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n- rolearn: arn:aws:iam::210000000004:role/deneb\n  username: deneb-by-hand\n'
  await s.kube.post('/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: foreignMap, mapUsers: '- userarn: arn:aws:iam::210000000004:user/ops\n  username: ops\n' } })
  await createGroup(s, 'k8s-poweruser@lyra', '/elsewhere/')
  await createForeignRole(s, 'altair')
  const dir = t.testdir({})
  const config = writeConfig(dir, s, { cluster: 'lyra', kubeconfig: s.kubeconfig, namespaces: ['vega'] })
  await sync(config)
  await addUser(s, 'deneb', 'k8s-user@lyra')
  await addUser(s, 'altair', 'k8s-user@lyra')
  await addUser(s, 'sheliak', 'k8s-user@lyra@vega')

  const first = await cli(config, 'sync')
  const second = await cli(config, 'sync')
  for (const run of [first, second]) {
    t.equal(run.exitCode, 2, 'conflicts are errors')
    t.match(run.stdout, /error BASTION_RBACSYNC_FOREIGN_CONFLICT \[lyra\] ClusterRole k8s-admin@lyra in cluster lyra exists and is not ours: tier admin is not applied there/)
    t.match(run.stdout, /error BASTION_RBACSYNC_FOREIGN_CONFLICT \[lyra\] RoleBinding k8s-user@lyra@vega in namespace vega of cluster lyra exists and is not ours/)
    t.match(run.stdout, /error BASTION_RBACSYNC_FOREIGN_CONFLICT \[lyra\] aws-auth already maps arn:aws:iam::210000000004:role\/deneb in an entry that is not ours: deneb is not mapped/)
    t.match(run.stdout, /error BASTION_RBACSYNC_FOREIGN_CONFLICT \[iam\] create IAM group k8s-poweruser@lyra: EntityAlreadyExists/)
    t.match(run.stdout, /error BASTION_RBACSYNC_FOREIGN_CONFLICT \[iam\] create IAM role altair: EntityAlreadyExists/)
  }
  t.same(await s.kube.get(`${RBAC}/clusterroles/k8s-admin%40lyra`), foreignRole, 'the hand-made ClusterRole is as it was')
  t.same(await s.kube.get(`${RBAC}/namespaces/vega/rolebindings/k8s-user%40lyra%40vega`), foreignBinding)
  t.same(await s.kube.get(`${RBAC}/clusterrolebindings/ci-bot`), ciBinding)
  t.equal((await s.kube.get(`${RBAC}/clusterrolebindings/k8s-admin%40lyra`, true)), undefined, 'no binding to a ClusterRole that is not ours')
  t.equal((await s.kube.get(`${RBAC}/namespaces/vega/roles/k8s-user%40lyra%40vega`, true)), undefined, 'the scope with a foreign binding is skipped whole')
  for (const [i, b] of builtins.entries()) t.same(await s.kube.get(`${RBAC}/clusterroles/${['admin', 'edit', 'view', 'cluster-admin'][i]}`), b, 'built-in roles untouched')
  const cm = await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth') as { data: { mapRoles: string, mapUsers: string } }
  t.equal(cm.data.mapRoles, foreignMap, 'foreign entries kept as they were; deneb not mapped over them; altair not mapped at all')
  t.equal(cm.data.mapUsers, '- userarn: arn:aws:iam::210000000004:user/ops\n  username: ops\n')
  t.equal((await s.iam.send(new GetGroupCommand({ GroupName: 'k8s-poweruser@lyra' }))).Group?.Path, '/elsewhere/')
  t.same(await roleNames(s, '/k8s-access/'), ['deneb', 'sheliak'], 'altair\'s name is taken by a role that is not ours')
  t.same(await roleNames(s, '/'), ['altair'])
  const crb = await s.kube.get(`${RBAC}/clusterrolebindings/k8s-user%40lyra`) as { subjects: Array<{ name: string }> }
  t.same(crb.subjects.map((x) => x.name), ['deneb'], 'altair, whose role could not be made, is not bound either')
  t.match(second.stdout, /API calls: \d+ read\(s\), \d+ write\(s\)/)
})
