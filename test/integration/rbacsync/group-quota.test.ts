// IAM's quota on groups, on moto (300 per account, every path counted): a run that
// would pass it sets up no new scope at all and says how to get room; with room, the
// same run sets it up.
import t from 'tap'
import { CreateGroupCommand, DeleteGroupCommand, paginateListGroups } from '@aws-sdk/client-iam'
import { cli, groupNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const FILLER = '/quota-filler/'

t.test('the account\'s IAM group quota', async (t) => {
  const s = await sandbox('210000000014')
  t.teardown(() => s.close())
  await wipe(s)
  const fillers = Array.from({ length: 298 }, (_, i) => `filler-${i}`)
  const dropFillers = async (): Promise<void> => {
    const names: string[] = []
    for await (const page of paginateListGroups({ client: s.iam }, { PathPrefix: FILLER })) names.push(...(page.Groups ?? []).map((g) => g.GroupName!))
    for (const name of names) await s.iam.send(new DeleteGroupCommand({ GroupName: name }))
  }
  t.teardown(async () => { await dropFillers(); await wipe(s) })
  for (const name of fillers) await s.iam.send(new CreateGroupCommand({ GroupName: name, Path: FILLER }))
  const config = writeConfig(t.testdir({}), s, { cluster: 'lyra', kubeconfig: s.kubeconfig, namespaces: [] })

  await t.test('298 groups and 3 to make: refused whole, with what to do', async (t) => {
    s.aws.calls.length = 0
    const r = await cli(config, 'sync')
    t.equal(r.exitCode, 2, r.stdout)
    t.match(r.stdout, /error BASTION_RBACSYNC_GROUP_QUOTA \[iam\] the plan creates 3 IAM group\(s\) and the account has 298 of the 300 IAM allows: no new scope was set up \(lyra\)\. Ask AWS to raise the quota .*narrow rbacsync\.clusters\.<name>\.includeNamespaces/)
    t.ok(s.aws.calls.some((c) => c.action === 'GetAccountSummary'), 'the quota was read from IAM')
    t.same((await groupNames(s)).filter((g) => g.startsWith('k8s-')), [], 'no group of the scope')
    t.notOk(await s.kube.get('/apis/rbac.authorization.k8s.io/v1/clusterroles/k8s-user%40lyra', true), 'nor its ClusterRoles')
  })

  await t.test('with room for them, the same run sets the scope up', async (t) => {
    await s.iam.send(new DeleteGroupCommand({ GroupName: 'filler-0' }))
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.same((await groupNames(s)).filter((g) => g.startsWith('k8s-')), ['k8s-admin@lyra', 'k8s-poweruser@lyra', 'k8s-user@lyra'])
    const again = await sync(config)
    t.equal(again.writes, 0)
    t.notOk(again.calls.some((c) => c.api === 'iam:GetAccountSummary'), 'a converged run does not ask for the quota')
  })
})
