// The per-user role's trust policy, compared by meaning.
import t from 'tap'
import { sameTrust, trustPolicy } from '../../src/iam/trust-policy.ts'

const bastion = 'arn:aws:iam::123456789012:role/bastion-host'

t.test('the bastion role may assume, set the source identity and tag the session', async (t) => {
  t.same(JSON.parse(trustPolicy([bastion])), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: bastion }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] })
  t.same(JSON.parse(trustPolicy(['b', 'a'])).Statement[0].Principal.AWS, ['a', 'b'])
})

t.test('the same policy URL-encoded, reordered or with single values is the same', async (t) => {
  t.ok(sameTrust(trustPolicy([bastion]), [bastion]))
  t.ok(sameTrust(encodeURIComponent(trustPolicy([bastion])), [bastion]))
  const reordered = { Statement: { Action: ['sts:TagSession', 'sts:SetSourceIdentity', 'sts:AssumeRole'], Principal: { AWS: [bastion] }, Effect: 'Allow' }, Version: '2012-10-17' }
  t.ok(sameTrust(JSON.stringify(reordered), [bastion]))
})

t.test('another principal, fewer actions, a condition or garbage is drift', async (t) => {
  t.notOk(sameTrust(trustPolicy(['arn:aws:iam::123456789012:role/other']), [bastion]))
  const fewer = JSON.parse(trustPolicy([bastion]))
  fewer.Statement[0].Action = ['sts:AssumeRole']
  t.notOk(sameTrust(JSON.stringify(fewer), [bastion]))
  const cond = JSON.parse(trustPolicy([bastion]))
  cond.Statement[0].Condition = { Bool: { x: 'true' } }
  t.notOk(sameTrust(JSON.stringify(cond), [bastion]))
  t.notOk(sameTrust('%E0%A4%A', [bastion]))
  t.notOk(sameTrust(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }] }), [bastion]))
})
