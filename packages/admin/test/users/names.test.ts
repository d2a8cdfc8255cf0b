// IAM user names become Unix names unchanged, or not at all.
import t from 'tap'
import { unixNameFor } from '../../src/users/names.ts'

t.test('a valid name stays as it is, so that it is also the per-user role rbacsync makes', async (t) => {
  t.same(unixNameFor('bt-alice'), { name: 'bt-alice' })
  t.same(unixNameFor('_svc'), { name: '_svc' })
  t.same(unixNameFor('a'.repeat(32)), { name: 'a'.repeat(32) })
})

t.test('IAM names useradd would not take are problems, never mangled into another name', async (t) => {
  for (const n of ['John', 'john.smith', 'j@corp', 'x+y', '-rf', '1st', 'a'.repeat(33), '']) t.match(unixNameFor(n), { problem: /is not a valid Unix user name/ }, n)
})

t.test('system accounts, systemd- and bastion names are refused, whether or not the host has them', async (t) => {
  for (const n of ['root', 'daemon', 'sshd', 'nobody', 'www-data', 'docker', 'ec2-user', 'systemd-network', 'bastion-keys', 'bastion']) t.match(unixNameFor(n), { problem: /named like a system account/ }, n)
})
