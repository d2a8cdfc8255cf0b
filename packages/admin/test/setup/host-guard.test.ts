// The host guard's accounts and the proxy's credential log, as setup makes them.
import t from 'tap'
import { chownSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { accountActions, auditFileActions, guardAccounts, guardedRuleOptions } from '../../src/setup/host-guard.ts'
import { CONFIG_TEXT, FakeHost, hostConfig, scratchDir } from './fixtures.ts'

const withAudit = (file: string) => hostConfig(CONFIG_TEXT.replace('metadataproxy: {', `metadataproxy: { log: { auditFile: ${file} },`))

t.test('the accounts as getent finds them', async (t) => {
  const h = new FakeHost().user('bastion-metadataproxy').group('bastion-imds', 990, ['mallory'])
  t.same(await guardAccounts(h), { uid: 1000, gid: 990, members: ['mallory'] })
  t.same(await guardAccounts(new FakeHost()), { members: [] })
})

t.test('what is missing is made, in order; what is there is left', async (t) => {
  t.same(accountActions({ members: [] }).map((a) => [a.cmd, ...a.args].join(' ')), [
    'groupadd --system bastion-imds',
    'useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment bastion metadata proxy bastion-metadataproxy'
  ])
  t.same(accountActions({ uid: 998, gid: 997, members: [] }), [])
})

t.test('the rule set names the real ids, or a placeholder for accounts about to be made', async (t) => {
  const config = hostConfig()
  t.same(guardedRuleOptions(config, { uid: 998, gid: 997, members: [] }).host, { proxyUid: 998, imdsGid: 997 })
  t.throws(() => guardedRuleOptions(config, { members: [] }), { code: 'BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING' })
  t.same(guardedRuleOptions(config, { members: [] }, true).host, { proxyUid: 4294967294, imdsGid: 4294967294 })
})

t.test('the credential log: made for the proxy when missing, given to it when owned by another', async (t) => {
  const root = scratchDir(t)
  const h = new FakeHost().user('bastion-metadataproxy')
  t.same(await auditFileActions(hostConfig(), root, h), [], 'no auditFile, nothing to do')
  t.same((await auditFileActions(withAudit('/var/log/bt/credentials.jsonl'), root, h)).map((a) => [a.cmd, ...a.args].join(' ')), [
    `install -d -m 0755 ${join(root, 'var/log/bt')}`,
    `install -m 0640 -o bastion-metadataproxy -g bastion-metadataproxy /dev/null ${join(root, 'var/log/bt/credentials.jsonl')}`
  ])
  mkdirSync(join(root, 'var/log/bt'), { recursive: true })
  const file = join(root, 'var/log/bt/credentials.jsonl')
  writeFileSync(file, '')
  chownSync(file, 1000, 1000)
  t.same(await auditFileActions(withAudit('/var/log/bt/credentials.jsonl'), root, h), [], 'owned by the proxy (uid 1000 here)')
  chownSync(file, 0, 0)
  t.same((await auditFileActions(withAudit('/var/log/bt/credentials.jsonl'), root, h)).map((a) => a.what), [`give the proxy's credential log ${file} to bastion-metadataproxy`])
})
