import t from 'tap'
import { assumedRoleSession } from '../../src/audit/assumed-role.ts'

t.test('an assumed-role ARN gives its role and session; any other ARN gives nothing', async (t) => {
  t.same(assumedRoleSession('arn:aws:sts::123456789012:assumed-role/johnsmith/johnsmith'), { role: 'johnsmith', session: 'johnsmith' })
  t.same(assumedRoleSession('arn:aws-cn:sts::123456789012:assumed-role/ops/i-0abc/x'), { role: 'ops', session: 'i-0abc/x' })
  t.equal(assumedRoleSession('arn:aws:iam::123456789012:user/johnsmith'), undefined)
  t.equal(assumedRoleSession('arn:aws:sts::123456789012:federated-user/johnsmith'), undefined)
})
