// Fail closed on the real wire: a Kubernetes list that fails on its second page, an IAM
// list that fails on its second page, and IAM throttling met with backoff.
import t from 'tap'
import { addUser, cli, createNamespace, removeUser, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const WRITE = /^(Create|Delete|Update|Add|Remove|Put|Tag|Attach)/

t.test('fail closed', async (t) => {
  const s = await sandbox('210000000002')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const front = await s.frontFor()
  const dir = t.testdir({})
  // Small pages, so that lists really page on the real API server and on moto.
  const config = writeConfig(dir, s, { cluster: 'pleiades', kubeconfig: front.kubeconfig(dir), namespaces: ['maia', 'electra'], kubernetes: { pageSize: 2 } })
  await createNamespace(s, 'maia')
  await createNamespace(s, 'electra')
  await sync(config)
  await addUser(s, 'alcyone', 'k8s-user@pleiades@maia', 'k8s-poweruser@pleiades')
  await addUser(s, 'merope', 'k8s-admin@pleiades@electra')
  t.ok((await sync(config)).ok)
  const rbPath = '/apis/rbac.authorization.k8s.io/v1/namespaces/maia/rolebindings/k8s-user%40pleiades%40maia'
  const subjects = async () => ((await s.kube.get(rbPath)) as { subjects?: Array<{ name: string }> }).subjects?.map((x) => x.name) ?? []
  t.same(await subjects(), ['alcyone'])

  await t.test('a RoleBinding list failing on its second page: that cluster is left alone, exit 2, the read is named; IAM\'s removals go ahead', async (t) => {
    await removeUser(s, 'alcyone', 'k8s-user@pleiades@maia', 'k8s-poweruser@pleiades')
    await addUser(s, 'taygeta', 'k8s-user@pleiades')
    front.calls.length = 0
    front.fail = (c) => c.method === 'GET' && c.url.includes('/rolebindings?') && c.url.includes('continue=') ? { status: 500, message: 'etcdserver: request timed out' } : undefined
    const r = await cli(config, 'sync')
    front.fail = undefined
    t.equal(r.exitCode, 2)
    t.match(r.stdout, /held back: pleiades could not be read in full: nothing on it was changed/)
    t.match(r.stdout, /error BASTION_RBACSYNC_READ_FAILED \[pleiades\] could not read RoleBinding objects: GET \/apis\/rbac\.authorization\.k8s\.io\/v1\/rolebindings\?limit=2&continue=\S+: 500 etcdserver: request timed out/)
    t.ok(front.calls.filter((c) => c.url.includes('/rolebindings?')).length >= 2, 'the failure came after a page that worked')
    t.same(front.calls.filter((c) => c.method !== 'GET'), [], 'not a single write to the cluster')
    t.same(await subjects(), ['alcyone'], 'the binding of the leaver stays on the cluster that could not be read')
    t.same(await roleNames(s, '/k8s-access/'), ['merope', 'taygeta'], 'the leaver, with no grant left, loses the role at once; the newcomer gets one (IAM was read in full)')
    const cm = await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth') as { data: { mapRoles: string } }
    t.match(cm.data.mapRoles, /role\/alcyone/)
    t.notMatch(cm.data.mapRoles, /taygeta/, 'nothing is written to the cluster that could not be read')
  })

  await t.test('once every read works again, the next run prunes', async (t) => {
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.same(await subjects(), [])
    t.same(await roleNames(s, '/k8s-access/'), ['merope', 'taygeta'])
  })

  await t.test('an IAM list failing on its second page: no write anywhere', async (t) => {
    await removeUser(s, 'merope', 'k8s-admin@pleiades@electra')
    const iamPaged = writeConfig(dir, s, { cluster: 'pleiades', kubeconfig: front.kubeconfig(dir), namespaces: ['maia', 'electra'], kubernetes: { pageSize: 2 }, iam: { pageSize: 1, maxAttempts: 2 } }, 'paged.yaml')
    s.aws.calls.length = 0
    front.calls.length = 0
    s.aws.fail = (c) => c.action === 'ListRoles' && c.params.has('Marker') ? { status: 500, code: 'ServiceFailure', message: 'page two is lost' } : undefined
    const r = await cli(iamPaged, 'sync')
    s.aws.fail = undefined
    t.equal(r.exitCode, 2)
    t.match(r.stdout, /error BASTION_RBACSYNC_READ_FAILED \[iam\] could not read IAM roles under \/k8s-access\/: ServiceFailure(Exception)?: page two is lost/)
    t.ok(s.aws.calls.some((c) => c.action === 'ListRoles' && !c.params.has('Marker')), 'the first page was read')
    t.same(s.aws.calls.filter((c) => WRITE.test(c.action)).map((c) => c.action), [], 'no IAM write')
    t.same(front.calls.filter((c) => c.method !== 'GET'), [], 'no Kubernetes write')
    t.same(await roleNames(s, '/k8s-access/'), ['merope', 'taygeta'])
  })

  await t.test('IAM throttling is met with backoff: the run succeeds after the throttled calls', async (t) => {
    let throttled = 0
    s.aws.calls.length = 0
    s.aws.fail = (c) => c.action === 'GetGroup' && throttled++ < 4 ? { status: 400, code: 'Throttling', message: 'Rate exceeded' } : undefined
    const started = Date.now()
    const r = await sync(config)
    s.aws.fail = undefined
    t.ok(r.ok, JSON.stringify(r.problems))
    t.equal(s.aws.calls.filter((c) => c.action === 'GetGroup').length, r.calls.find((c) => c.api === 'iam:GetGroup')!.calls + 4, 'four retries on the wire beyond the calls counted')
    t.ok(Date.now() - started >= 100, 'the retries waited')
    t.same(await roleNames(s, '/k8s-access/'), ['taygeta'], 'and the run did its work')
  })
})
