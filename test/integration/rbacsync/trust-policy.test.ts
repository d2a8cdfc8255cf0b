// The per-user role can be assumed only as its person: on moto's IAM, a new role gets the
// trust policy that requires sts:SourceIdentity and sts:RoleSessionName to be the user,
// and a role made by an older rbacsync (trusting the bastion unconditionally) gets it
// on the next run through UpdateAssumeRolePolicy. moto does not evaluate trust
// policies, so what is checked is the document IAM holds, exactly.
import t from 'tap'
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam'
import { addUser, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const ACCOUNT = '210000000011'
const BASTION = `arn:aws:iam::${ACCOUNT}:role/bastion-host`
const conditioned = (user: string): unknown => ({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AssumeAsThisUserOnly', Effect: 'Allow', Principal: { AWS: BASTION }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:SourceIdentity': user, 'sts:RoleSessionName': user } } },
    { Sid: 'SourceIdentityIsThisUser', Effect: 'Allow', Principal: { AWS: BASTION }, Action: 'sts:SetSourceIdentity', Condition: { StringEquals: { 'sts:SourceIdentity': user } } }
  ]
})

t.test('per-user trust policies name their user', async (t) => {
  const s = await sandbox(ACCOUNT)
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const config = writeConfig(t.testdir({}), s, { cluster: 'lyra', kubeconfig: s.kubeconfig, namespaces: [] })
  await sync(config)
  const policyOf = async (role: string): Promise<unknown> => JSON.parse(decodeURIComponent((await s.iam.send(new GetRoleCommand({ RoleName: role }))).Role!.AssumeRolePolicyDocument!))

  await t.test('a new role: johnsmith only, as session name and source identity', async (t) => {
    await addUser(s, 'johnsmith', 'k8s-user@lyra')
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.same(await policyOf('johnsmith'), conditioned('johnsmith'))
  })

  await t.test('a role an older rbacsync made (no condition) is tightened on the next run, and then left alone', async (t) => {
    await s.iam.send(new CreateRoleCommand({
      RoleName: 'vega',
      Path: '/k8s-access/',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: BASTION }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] }),
      Tags: [{ Key: 'managed-by', Value: 'bastion-rbacsync' }, { Key: 'bastion:user', Value: 'vega' }]
    }))
    await addUser(s, 'vega', 'k8s-user@lyra')
    s.aws.calls.length = 0
    const r = await sync(config)
    t.ok(r.ok, JSON.stringify(r.problems))
    t.same(s.aws.calls.filter((c) => c.action === 'UpdateAssumeRolePolicy').map((c) => c.params.get('RoleName')), ['vega'])
    t.same(await policyOf('vega'), conditioned('vega'))
    const again = await sync(config)
    t.same(again.actions, [], 'IAM\'s form of the new document is no drift')
    t.equal(again.writes, 0)
  })
})
