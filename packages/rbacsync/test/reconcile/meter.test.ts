// Counting calls per API, reads apart from writes.
import t from 'tap'
import { awsCallKind, createMeter } from '../../src/reconcile/meter.ts'

t.test('counts per API and kind, reads listed first, totals by kind', async (t) => {
  const m = createMeter()
  m.count('k8s:create roles', 'write')
  m.count('iam:ListRoles', 'read')
  m.count('iam:GetGroup', 'read')
  m.count('iam:GetGroup', 'read')
  t.same(m.snapshot(), [{ api: 'iam:GetGroup', kind: 'read', calls: 2 }, { api: 'iam:ListRoles', kind: 'read', calls: 1 }, { api: 'k8s:create roles', kind: 'write', calls: 1 }])
  t.equal(m.total('read'), 3)
  t.equal(m.total('write'), 1)
  m.snapshot()[0]!.calls = 99
  t.equal(m.total('read'), 3, 'a snapshot is a copy')
})

t.test('AWS operations that start with Get, List or Describe read; the rest write', async (t) => {
  t.same(['GetGroup', 'ListRoles', 'DescribeCluster', 'CreateRole', 'UpdateAssumeRolePolicy', 'DeleteAccessEntry'].map(awsCallKind), ['read', 'read', 'read', 'write', 'write', 'write'])
})
