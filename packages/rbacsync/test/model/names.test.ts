// Group names <-> grants, and the ARNs a user's role goes by.
import t from 'tap'
import { describeScope, groupName, mapRoleArn, parseGroupName, roleArnWithPath, roleNameFor, scopeKey } from '../../src/model/names.ts'

t.test('a group name is k8s-<tier>@<cluster>[@<namespace>], and parses back', async (t) => {
  t.equal(groupName('poweruser', { cluster: 'hyades' }), 'k8s-poweruser@hyades')
  t.equal(groupName('admin', { cluster: 'hyades', namespace: 'taurus' }), 'k8s-admin@hyades@taurus')
  t.same(parseGroupName('k8s-admin@hyades@taurus'), { tier: 'admin', cluster: 'hyades', namespace: 'taurus' })
  t.same(parseGroupName('k8s-user@Hy_des-1'), { tier: 'user', cluster: 'Hy_des-1' })
})

t.test('names that are not ours do not parse', async (t) => {
  for (const n of ['k8s-root@hyades', 'k8s-admin', 'k8s-admin@', 'k8s-admin@hyades@Taurus', 'k8s-admin@hyades@taurus@x', 'admin', 'x-k8s-admin@hyades', 'k8s-admin@-x']) {
    t.equal(parseGroupName(n), undefined, n)
  }
})

t.test('scope keys and descriptions', async (t) => {
  t.equal(scopeKey({ cluster: 'c' }), 'c')
  t.equal(scopeKey({ cluster: 'c', namespace: 'n' }), 'c@n')
  t.equal(describeScope({ cluster: 'c' }), 'cluster c')
  t.equal(describeScope({ cluster: 'c', namespace: 'n' }), 'namespace n of cluster c')
})

t.test('the role is named like the user; aws-auth gets its ARN without the path, access entries with it', async (t) => {
  t.equal(roleNameFor('johnsmith'), 'johnsmith')
  t.equal(mapRoleArn('aws', '123456789012', 'johnsmith'), 'arn:aws:iam::123456789012:role/johnsmith')
  t.equal(roleArnWithPath('aws-cn', '123456789012', '/k8s-access/', 'johnsmith'), 'arn:aws-cn:iam::123456789012:role/k8s-access/johnsmith')
})
