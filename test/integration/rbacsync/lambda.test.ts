// Packaging for AWS: the template passes cfn-lint (offline), asks for least privilege,
// runs on IAM group-membership events beside the schedule and never retries a run; the bundled zip's handler, loaded from the zip's own files, runs a sync
// against the sandbox and moto, plans only on {"dryRun": true}, and fails the
// invocation when the run reports a problem.
import t from 'tap'
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { parse } from 'yaml'
import { bedFacts } from '../../fixtures/testbed.ts'
import { addUser, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const PKG = fileURLToPath(new URL('../../../packages/rbacsync/', import.meta.url))
const TEMPLATE = join(PKG, 'deploy/template.yaml')

t.test('the template passes cfn-lint, and a broken one does not', async (t) => {
  const lint = bedFacts()('BASTION_TEST_CFN_LINT')
  const ok = await execa(lint, [TEMPLATE], { reject: false })
  t.equal(ok.exitCode, 0, String(ok.stdout))
  const dir = t.testdir({})
  const broken = join(dir, 'broken.yaml')
  writeFileSync(broken, readFileSync(TEMPLATE, 'utf8').replace('Effect: Allow\n                Action: [iam:ListGroups', 'Effect: Maybe\n                Action: [iam:ListGroups').replace('Type: AWS::EKS::AccessEntry', 'Type: AWS::EKS::AccesEntry'))
  const bad = await execa(lint, [broken], { reject: false })
  t.not(bad.exitCode, 0)
  t.match(String(bad.stdout), /E3510 'Maybe' is not one of \['Allow', 'Deny'\]/)
  t.match(String(bad.stdout), /E3006 Resource type 'AWS::EKS::AccesEntry' does not exist/)
})

t.test('the template grants least privilege: our path, our tag, our clusters, one run at a time', async (t) => {
  const doc = parse(readFileSync(TEMPLATE, 'utf8'), { logLevel: 'silent' }) as { Resources: Record<string, { Properties: Record<string, unknown> }> }
  const role = doc.Resources.FunctionRole!.Properties as { Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string[], Resource: string, Condition?: unknown }> } }> }
  const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement)
  const perCluster = (doc.Resources as unknown as Record<string, unknown[]>)['Fn::ForEach::Clusters']![2] as Record<string, { Properties: { PolicyDocument?: { Statement: Array<{ Action: string[], Resource: string }> } } }>
  statements.push(...perCluster['EksPolicy&{ClusterName}']!.Properties.PolicyDocument!.Statement)
  const actions = statements.flatMap((s) => s.Action)
  t.notOk(actions.some((a) => a === '*' || a.endsWith(':*')), 'no wildcard actions')
  t.notOk(actions.some((a) => /^iam:(Attach|Put|PassRole|CreatePolicy|AddUserToGroup)/.test(a)), 'cannot give the roles permissions or people groups')
  for (const s of statements) {
    if (s.Resource === '*') t.ok(s.Action.every((a) => /^iam:(List|GetAccountSummary$)/.test(a)), `only IAM list calls and the account summary on *: ${s.Action.join()}`)
    if (s.Action.some((a) => /^iam:(Create|Delete|Update|Tag)Role/.test(a))) {
      t.match(s.Resource, /role\$\{IamPath\}\*$/)
      t.ok(s.Condition, 'role writes are conditioned on our tag')
    }
    if (s.Action.some((a) => a.startsWith('eks:'))) t.match(s.Resource, /\$\{ClusterName\}/, 'EKS calls on the listed clusters only')
  }
  // Discovery: only ListClusters and DescribeCluster, only in DiscoverRegions, only when asked.
  const discovery = doc.Resources.DiscoveryPolicy as unknown as { Condition: string, Properties: { PolicyDocument: { Statement: unknown[] } } }
  t.equal(discovery.Condition, 'WithDiscovery')
  t.same(discovery.Properties.PolicyDocument.Statement, [
    { Sid: 'ListClusters', Effect: 'Allow', Action: ['eks:ListClusters'], Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'DiscoverRegions' } } },
    { Sid: 'DescribeClusters', Effect: 'Allow', Action: ['eks:DescribeCluster'], Resource: 'arn:${AWS::Partition}:eks:*:${AWS::AccountId}:cluster/*', Condition: { StringEquals: { 'aws:RequestedRegion': 'DiscoverRegions' } } }
  ])
  // Identity Center: the three reads of the one identity store, only when it is named.
  const ic = doc.Resources.IdentityCenterPolicy as unknown as { Condition: string, Properties: { PolicyDocument: { Statement: unknown[] } } }
  t.equal(ic.Condition, 'WithIdentityCenter')
  t.same(ic.Properties.PolicyDocument.Statement, [{
    Sid: 'ReadPeople',
    Effect: 'Allow',
    Action: ['identitystore:ListGroups', 'identitystore:ListGroupMemberships', 'identitystore:DescribeUser'],
    Resource: ['arn:${AWS::Partition}:identitystore::${AWS::AccountId}:identitystore/${IdentityStoreId}', 'arn:${AWS::Partition}:identitystore:::group/*', 'arn:${AWS::Partition}:identitystore:::user/*']
  }])
  const fn = doc.Resources.Function!.Properties
  t.equal(fn.ReservedConcurrentExecutions, 1)
  t.equal(fn.Runtime, 'nodejs24.x')
  t.equal(fn.Handler, 'index.handler')
  t.match(fn.Events, { Every: { Type: 'Schedule' } })
})

t.test('a run starts on IAM group-membership changes, beside the schedule, and a failed run is never retried', async (t) => {
  const doc = parse(readFileSync(TEMPLATE, 'utf8'), { logLevel: 'silent' }) as { Resources: Record<string, { Properties: Record<string, unknown> }> }
  const fn = doc.Resources.Function!.Properties as { EventInvokeConfig: unknown, Events: Record<string, unknown> }
  t.same(fn.EventInvokeConfig, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 })
  t.same(fn.Events.MembershipChanged, {
    Type: 'EventBridgeRule',
    Properties: {
      Pattern: {
        source: ['aws.iam'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['iam.amazonaws.com'],
          $or: [
            { eventName: ['AddUserToGroup', 'RemoveUserFromGroup', 'DeleteGroup'], requestParameters: { groupName: [{ prefix: 'k8s-' }] } },
            { eventName: ['DeleteUser'] }
          ]
        }
      },
      RetryPolicy: { MaximumRetryAttempts: 0 },
      Input: '{}'
    }
  })
  // cfn-lint holds the event to SAM's schema: a misspelt property is refused.
  const lint = bedFacts()('BASTION_TEST_CFN_LINT')
  const broken = join(t.testdir({}), 'broken.yaml')
  writeFileSync(broken, readFileSync(TEMPLATE, 'utf8').replace('            RetryPolicy:\n              MaximumRetryAttempts: 0', '            RetryPolcy:\n              MaximumRetryAttempts: 0'))
  const bad = await execa(lint, [broken], { reject: false })
  t.not(bad.exitCode, 0)
  t.match(String(bad.stdout), /'RetryPolcy' was unexpected/)
})

t.test('the bundled handler, from its zip, syncs on the real components', async (t) => {
  const s = await sandbox('210000000007')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const dir = t.testdir({})
  const config = writeConfig(dir, s, { cluster: 'perseus', kubeconfig: s.kubeconfig, namespaces: [] })
  const zip = join(dir, 'rbacsync.zip')
  const built = await execa(process.execPath, [join(PKG, 'deploy/bundle.ts'), '--config', config, '--out', zip])
  t.match(String(built.stdout), /rbacsync\.zip: index\.mjs [\d.]+ MB \+ bastion\.yaml/)
  const task = join(dir, 'task')
  mkdirSync(task)
  await execa('python3', ['-m', 'zipfile', '-e', zip, task])
  t.same((await execa('python3', ['-m', 'zipfile', '-l', zip])).stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]), ['index.mjs', 'index.mjs.map', 'bastion.yaml'])
  await sync(config)
  await addUser(s, 'algol', 'k8s-user@perseus')

  const load = async (configFile: string, tag: string) => {
    process.env.BASTION_CONFIG = configFile
    return (await import(`${pathToFileURL(join(task, 'index.mjs')).href}?${tag}`)) as { handler (e: unknown, c?: unknown): Promise<{ ok: boolean, writes: number, changes: string[] }> }
  }
  t.teardown(() => { delete process.env.BASTION_CONFIG })
  const { handler } = await load(join(task, 'bastion.yaml'), 'a')
  const dry = await handler({ dryRun: true }, { awsRequestId: 'r1' })
  t.match(dry, { ok: true, dryRun: true, writes: 0 })
  t.ok(dry.changes.includes('+ iam role algol'))
  t.same(await roleNames(s, '/k8s-access/'), [], 'a dry run writes nothing')
  const run = await handler({ source: 'aws.events' }, { awsRequestId: 'r2' })
  t.match(run, { ok: true, dryRun: false })
  t.ok(run.writes > 0)
  t.same(await roleNames(s, '/k8s-access/'), ['algol'])
  t.match(await handler({}), { ok: true, writes: 0, changes: [] }, 'a second invocation is converged')

  const broken = join(dir, 'broken.yaml')
  copyFileSync(config, broken)
  writeFileSync(broken, readFileSync(broken, 'utf8').replace(s.kubeconfig, join(dir, 'no-such.kubeconfig')))
  const { handler: failing } = await load(broken, 'b')
  await t.rejects(failing({}), { message: /rbacsync run reported problems: .*BASTION_RBACSYNC_CLUSTER_UNREACHABLE/ })
})
