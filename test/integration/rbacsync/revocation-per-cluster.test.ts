// Revocation never waits for another cluster (invariant 9), on the real kube-apiserver
// and moto's IAM: a second cluster that cannot be reached, discovery failing on one API
// group (a stale APIService pointing at a service that does not exist), and a namespace
// deleted and made again under the same name, whose old members are not granted again.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { addUser, canI, cli, createGroup, createNamespace, deleteNamespace, removeUser, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const STALE = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.stale.rbacsync.example.com' }, spec: { group: 'stale.rbacsync.example.com', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true, service: { name: 'no-such-service', namespace: 'default', port: 443 } } }

t.test('revocation per cluster', async (t) => {
  const s = await sandbox('210000000013')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const dir = t.testdir({})
  const config = writeConfig(dir, s, { cluster: 'hyades', kubeconfig: s.kubeconfig, namespaces: ['taurus', 'pleione'] })
  await createNamespace(s, 'taurus')
  await createNamespace(s, 'pleione')
  t.ok((await sync(config)).ok)
  const subjects = async (path: string): Promise<string[]> => ((await s.kube.get(path)) as { subjects?: Array<{ name: string }> }).subjects?.map((x) => x.name) ?? []
  const mapRoles = async (): Promise<string> => ((await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth')) as { data: { mapRoles: string } }).data.mapRoles

  await t.test('one cluster unreachable while another must prune: the other prunes, the report says what was held back', async (t) => {
    await addUser(s, 'alice', 'k8s-user@hyades')
    await createGroup(s, 'k8s-user@ghost', '/k8s-access/')
    await addUser(s, 'olga', 'k8s-user@ghost')
    t.ok((await sync(config)).ok)
    t.same(await subjects(`${RBAC}/clusterrolebindings/k8s-user%40hyades`), ['alice'])
    // A second cluster whose API answers nothing: a closed port on loopback.
    const ghostKubeconfig = join(dir, 'ghost.kubeconfig')
    writeFileSync(ghostKubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'ghost', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: { token: 'x' } }], contexts: [{ name: 'ghost', context: { cluster: 'ghost', user: 'u' } }], 'current-context': 'ghost' }))
    const two = parse(readFileSync(config, 'utf8')) as { clusters: unknown[], rbacsync: { clusters: Record<string, unknown> } }
    two.clusters.push({ name: 'ghost', region: 'us-east-1' })
    two.rbacsync.clusters.ghost = { kubeconfig: ghostKubeconfig }
    const twoConfig = join(dir, 'two.yaml')
    writeFileSync(twoConfig, stringify(two))

    await removeUser(s, 'alice', 'k8s-user@hyades')
    const r = await cli(twoConfig, 'sync')
    t.equal(r.exitCode, 2, r.stdout)
    t.match(r.stdout, /error BASTION_RBACSYNC_READ_FAILED \[ghost\] could not read /)
    t.match(r.stdout, /held back: ghost could not be read in full: nothing on it was changed and its groups' members keep their roles; the other clusters were synced, removals included/)
    t.notMatch(r.stdout, /held back: hyades/)
    t.same(await subjects(`${RBAC}/clusterrolebindings/k8s-user%40hyades`), [], 'alice is unbound on the cluster that was read')
    t.notMatch(await mapRoles(), /alice/, 'and unmapped')
    t.notOk(await canI(s, 'alice', 'get', 'pods', 'default'))
    t.same(await roleNames(s, '/k8s-access/'), ['olga'], 'alice\'s role is gone; olga, granted on the unreadable cluster, keeps hers')
    await removeUser(s, 'olga', 'k8s-user@ghost')
  })

  await t.test('discovery failing on one API group: the tiers\' rules stay, the leaver still loses access', async (t) => {
    await addUser(s, 'bruno', 'k8s-poweruser@hyades')
    t.ok((await sync(config)).ok)
    t.ok(await canI(s, 'bruno', 'delete', 'pods', 'default'))
    const before = await s.kube.get(`${RBAC}/clusterroles/k8s-poweruser%40hyades`) as { metadata: { resourceVersion: string }, rules: unknown[] }
    await s.kube.post('/apis/apiregistration.k8s.io/v1/apiservices', STALE)
    t.teardown(() => s.kube.del(`/apis/apiregistration.k8s.io/v1/apiservices/${STALE.metadata.name}`))
    // The aggregator marks it stale once it finds no service: wait for that, on the wire.
    for (let i = 0; i < 60; i++) {
      const svc = await s.kube.get(`/apis/apiregistration.k8s.io/v1/apiservices/${STALE.metadata.name}`) as { status?: { conditions?: Array<{ type: string, status: string }> } }
      if (svc.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'False')) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    await removeUser(s, 'bruno', 'k8s-poweruser@hyades')
    const r = await cli(config, 'sync')
    t.equal(r.exitCode, 2, r.stdout)
    t.match(r.stdout, /error BASTION_RBACSYNC_READ_FAILED \[hyades\] could not read API discovery in full .*discovery of stale\.rbacsync\.example\.com\/v1beta1 is stale/)
    t.match(r.stdout, /held back: hyades: API discovery missed stale\.rbacsync\.example\.com\/v1beta1: the tiers' rules there were left as they are/)
    t.same(await subjects(`${RBAC}/clusterrolebindings/k8s-poweruser%40hyades`), [], 'bruno is unbound')
    t.notOk(await canI(s, 'bruno', 'delete', 'pods', 'default'))
    t.same(await roleNames(s, '/k8s-access/'), [], 'and his role is gone')
    const after = await s.kube.get(`${RBAC}/clusterroles/k8s-poweruser%40hyades`) as { metadata: { resourceVersion: string }, rules: unknown[] }
    t.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'the poweruser rules were not rewritten from a partial discovery')
    await s.kube.del(`/apis/apiregistration.k8s.io/v1/apiservices/${STALE.metadata.name}`)
    t.ok((await sync(config)).ok, 'with the APIService gone, the run is clean again')
  })

  await t.test('a namespace deleted and made again: its old members are not granted again, and that is reported until decided', async (t) => {
    await addUser(s, 'pocahontas', 'k8s-admin@hyades@taurus')
    await addUser(s, 'gina', 'k8s-user@hyades@pleione')
    t.ok((await sync(config)).ok)
    t.ok(await canI(s, 'pocahontas', 'delete', 'pods', 'taurus'))
    t.ok(await canI(s, 'gina', 'get', 'pods', 'pleione'))

    // taurus: deleted as this API server does it (no namespace controller: our objects
    // linger and come back bound); pleione: as EKS does it (they go with it).
    await deleteNamespace(s, 'taurus')
    for (const plural of ['rolebindings', 'roles']) {
      const list = await s.kube.get(`${RBAC}/namespaces/pleione/${plural}`) as { items: Array<{ metadata: { name: string } }> }
      for (const o of list.items) await s.kube.del(`${RBAC}/namespaces/pleione/${plural}/${encodeURIComponent(o.metadata.name)}`)
    }
    await deleteNamespace(s, 'pleione')
    await createNamespace(s, 'taurus')
    await createNamespace(s, 'pleione')
    t.ok(await canI(s, 'pocahontas', 'delete', 'pods', 'taurus'), 'the lingering binding grants the new taurus before our run')

    const r = await cli(config, 'sync')
    t.equal(r.exitCode, 2, r.stdout)
    t.match(r.stdout, /error BASTION_RBACSYNC_NAMESPACE_RECREATED \[hyades\] namespace taurus was deleted and made again .*pocahontas get nothing there until someone decides/)
    t.match(r.stdout, /error BASTION_RBACSYNC_NAMESPACE_RECREATED \[hyades\] namespace pleione was deleted and made again .*gina get nothing there/)
    t.notOk(await canI(s, 'pocahontas', 'delete', 'pods', 'taurus'), 'the old subjects are taken out')
    t.notOk(await canI(s, 'gina', 'get', 'pods', 'pleione'), 'the new pleione grants nobody')
    t.notMatch(await mapRoles(), /pocahontas|gina/)
    const again = await sync(config)
    t.same(again.actions, [], 'held and converged: no writes while undecided')
    t.match(again.problems.map((p) => p.code), ['BASTION_RBACSYNC_NAMESPACE_RECREATED', 'BASTION_RBACSYNC_NAMESPACE_RECREATED'])

    // The decision: empty the groups, then put back whoever should have access.
    await removeUser(s, 'pocahontas', 'k8s-admin@hyades@taurus')
    await removeUser(s, 'gina', 'k8s-user@hyades@pleione')
    const decided = await sync(config)
    t.ok(decided.ok, JSON.stringify(decided.problems))
    await addUser(s, 'pocahontas', 'k8s-admin@hyades@taurus')
    t.ok((await sync(config)).ok)
    t.ok(await canI(s, 'pocahontas', 'delete', 'pods', 'taurus'), 'granted on the new taurus, by decision')
    t.notOk(await canI(s, 'gina', 'get', 'pods', 'pleione'))
  })

  await t.test('a converged run writes nothing', async (t) => {
    const r = await sync(config)
    t.same(r.actions, [])
    t.equal(r.writes, 0)
  })
})
