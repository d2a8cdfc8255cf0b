// The per-user role's trust policy, exactly, and compared by meaning. moto does not
// evaluate trust policies, so this document is what the tests can hold IAM to.
import t from 'tap'
import { sameTrust, trustPolicy } from '../../src/iam/trust-policy.ts'

const bastion = 'arn:aws:iam::123456789012:role/bastion-host'

t.test('the bastion role may assume johnsmith only with johnsmith as session name and source identity', async (t) => {
  t.same(JSON.parse(trustPolicy([bastion], 'johnsmith')), {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AssumeAsThisUserOnly', Effect: 'Allow', Principal: { AWS: bastion }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:SourceIdentity': 'johnsmith', 'sts:RoleSessionName': 'johnsmith' } } },
      { Sid: 'SourceIdentityIsThisUser', Effect: 'Allow', Principal: { AWS: bastion }, Action: 'sts:SetSourceIdentity', Condition: { StringEquals: { 'sts:SourceIdentity': 'johnsmith' } } }
    ]
  })
  t.notMatch(trustPolicy([bastion], 'johnsmith'), /TagSession|StringLike|\*/, 'no tags, no wildcard')
  t.same(JSON.parse(trustPolicy(['b', 'a'], 'u')).Statement[0].Principal.AWS, ['a', 'b'])
})

t.test('the same policy URL-encoded, reordered or with single values is the same', async (t) => {
  t.ok(sameTrust(trustPolicy([bastion], 'u'), [bastion], 'u'))
  t.ok(sameTrust(encodeURIComponent(trustPolicy([bastion], 'u')), [bastion], 'u'))
  const doc = JSON.parse(trustPolicy([bastion], 'u'))
  const reordered = {
    Statement: [...doc.Statement].reverse().map((s: Record<string, unknown>) => ({ Condition: s.Condition, Action: [s.Action], Principal: { AWS: [bastion] }, Effect: 'Allow', Sid: s.Sid })),
    Version: '2012-10-17'
  }
  reordered.Statement[1]!.Condition = { StringEquals: { 'sts:RoleSessionName': ['u'], 'sts:SourceIdentity': 'u' } }
  t.ok(sameTrust(JSON.stringify(reordered), [bastion], 'u'))
})

t.test('the old unconditioned policy, another user, another principal, a looser condition or garbage is drift', async (t) => {
  const old = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: bastion }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] })
  t.notOk(sameTrust(old, [bastion], 'u'), 'the policy before SourceIdentity was required')
  t.notOk(sameTrust(trustPolicy([bastion], 'someone'), [bastion], 'u'))
  t.notOk(sameTrust(trustPolicy(['arn:aws:iam::123456789012:role/other'], 'u'), [bastion], 'u'))
  const loose = JSON.parse(trustPolicy([bastion], 'u'))
  loose.Statement[0].Condition = { StringLike: { 'sts:SourceIdentity': '*' } }
  t.notOk(sameTrust(JSON.stringify(loose), [bastion], 'u'))
  const noSession = JSON.parse(trustPolicy([bastion], 'u'))
  delete noSession.Statement[0].Condition.StringEquals['sts:RoleSessionName']
  t.notOk(sameTrust(JSON.stringify(noSession), [bastion], 'u'))
  t.notOk(sameTrust('%E0%A4%A', [bastion], 'u'))
  t.notOk(sameTrust(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }] }), [bastion], 'u'))
})
