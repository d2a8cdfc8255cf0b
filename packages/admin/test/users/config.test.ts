// The users section's defaults and refusals, and the shipped example.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadUsersConfig } from '../../src/users/config.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))

async function load (t: Test, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bt-users-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'b.yaml'), text)
  return loadUsersConfig(join(dir, 'b.yaml'))
}

t.test('the defaults: accounts from IAM under rbacsync\'s path, keys served 15 minutes past the last good read', async (t) => {
  const c = await load(t, 'aws:\n  accountId: "123456789012"\n')
  t.same(c.users, { source: 'iam', loginShell: '/usr/local/bin/bastion-shell', iam: { path: '/k8s-access/', pageSize: 100, timeoutMs: 15000 }, identityCenter: {}, keys: { directory: '/var/lib/bastion/ssh-keys', maxAgeSeconds: 900 } })
  t.equal(c.shell.allowedGroup, 'bastion-users')
})

t.test('the shipped example parses', async (t) => {
  t.equal((await loadUsersConfig(EXAMPLE)).users.source, 'iam')
})

t.test('bad values are refused by key path; a missing file says so', async (t) => {
  await t.rejects(load(t, 'aws:\n  accountId: "123456789012"\nusers:\n  source: ldap\n'), /users\.source/)
  await t.rejects(load(t, 'aws:\n  accountId: "123456789012"\nusers:\n  keys:\n    maxAgeSeconds: 5\n'), /users\.keys\.maxAgeSeconds/)
  await t.rejects(load(t, 'aws:\n  accountId: "123456789012"\nusers:\n  iam:\n    path: k8s-access\n'), /users\.iam\.path/)
  await t.rejects(load(t, 'aws:\n  accountId: "123456789012"\nusers:\n  shell: /bin/sh\n'), /users\.shell: unknown key/)
  await t.rejects(loadUsersConfig('/nonexistent/b.yaml'), /cannot read config file \/nonexistent\/b\.yaml/)
})

t.test('identity-center needs its identity store id; its region and the key directory are validated', async (t) => {
  const base = 'aws:\n  accountId: "123456789012"\nusers:\n  source: identity-center\n'
  await t.rejects(load(t, base), /users\.identityCenter\.identityStoreId: required when users\.source is identity-center/)
  await t.rejects(load(t, base + '  identityCenter: {identityStoreId: nope}\n'), /users\.identityCenter\.identityStoreId/)
  await t.rejects(load(t, base + '  identityCenter: {identityStoreId: d-0123456789}\n  keys: {directory: relative/dir}\n'), /users\.keys\.directory/)
  const c = await load(t, base + '  identityCenter: {identityStoreId: d-0123456789, region: eu-west-1}\n')
  t.same(c.users.identityCenter, { identityStoreId: 'd-0123456789', region: 'eu-west-1' })
})
