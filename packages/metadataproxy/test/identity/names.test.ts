// The names that reach STS: IAM_ROLE (with the configured prefix) and bastion.user.
import t from 'tap'
import { checkRoleName, checkSessionName, roleArn } from '../../src/identity/names.ts'

t.test('ordinary role names are accepted', async (t) => {
  for (const role of ['dev', 'k8s-dev@prod', 'a', 'A_b+c=d,e.f@g-h', 'x'.repeat(64)]) t.same(checkRoleName('', role), { ok: true }, role)
})

t.test('a missing or empty IAM_ROLE is refused as not set', async (t) => {
  for (const role of [undefined, '']) {
    const r = checkRoleName('', role)
    t.equal(r.ok, false)
    t.match(r, { reason: /IAM_ROLE is not set/ })
  }
})

t.test('role names with paths, ARNs, odd characters or over 64 characters are refused', async (t) => {
  for (const role of [
    '../x', 'a/b', '/dev', 'arn:aws:iam::123456789012:role/admin', 'x'.repeat(65), 'dev role', 'dev\n', ' dev',
    'dév', 'dev;rm', '*', 'dev%2f', 'dev\\x', 'dev\u0000'
  ]) {
    const r = checkRoleName('', role)
    t.equal(r.ok, false, JSON.stringify(role))
    t.match(r, { reason: /not a valid IAM role name/ })
  }
})

t.test('a prefix that makes the name longer than 64 characters is refused', async (t) => {
  t.same(checkRoleName('team-', 'x'.repeat(59)), { ok: true })
  const r = checkRoleName('team-', 'x'.repeat(60))
  t.equal(r.ok, false)
  t.match(r, { reason: /longer than 64 characters/ })
})

t.test('the IAM path of a prefix does not count toward the 64 characters', async (t) => {
  t.same(checkRoleName('k8s-access/', 'x'.repeat(64)), { ok: true })
  t.same(checkRoleName('org/k8s-access/team-', 'x'.repeat(59)), { ok: true })
  t.equal(checkRoleName('org/k8s-access/team-', 'x'.repeat(60)).ok, false)
})

t.test('session names of 2 to 64 safe characters are accepted', async (t) => {
  for (const user of ['al', 'alice', 'alice.smith@example.com', 'a_b+c=d,e-f', 'x'.repeat(64)]) t.same(checkSessionName(user), { ok: true }, user)
})

t.test('empty, short, long or unsafe session names are refused', async (t) => {
  t.match(checkSessionName(undefined), { ok: false, reason: /empty/ })
  t.match(checkSessionName(''), { ok: false, reason: /empty/ })
  for (const user of ['a', 'x'.repeat(65), 'alice smith', 'aws:alice', 'AWS:alice', 'alice/x', '../root', 'alice\n', 'ålice']) {
    t.match(checkSessionName(user), { ok: false, reason: /not a valid STS session name/ }, JSON.stringify(user))
  }
})

t.test('roleArn puts the prefix, path included, before the role', async (t) => {
  t.equal(roleArn('aws', '123456789012', '', 'dev'), 'arn:aws:iam::123456789012:role/dev')
  t.equal(roleArn('aws-cn', '123456789012', 'k8s-access/', 'dev'), 'arn:aws-cn:iam::123456789012:role/k8s-access/dev')
  t.equal(roleArn('aws', '123456789012', 'team-', 'dev'), 'arn:aws:iam::123456789012:role/team-dev')
})
