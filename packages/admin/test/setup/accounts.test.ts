import t from 'tap'
import { account, group } from '../../src/setup/accounts.ts'
import { FakeHost } from './fixtures.ts'

t.test('an account and a group, or undefined when getent has none', async (t) => {
  const h = new FakeHost().user('alice', '/bin/bash', 1500).group('ops', 1600, ['alice', 'bob'])
  t.same(await account(h, 'alice'), { name: 'alice', uid: '1000', gid: '1500', shell: '/bin/bash' })
  t.same(await group(h, 'ops'), { name: 'ops', gid: '1600', members: ['alice', 'bob'] })
  t.equal(await account(h, 'nobody-here'), undefined)
  t.equal(await group(h, 'nobody-here'), undefined)
})

t.test('a failing or garbled lookup is an error', async (t) => {
  const h = new FakeHost()
  h.handlers.push(() => ({ exitCode: 1, stdout: '', stderr: 'nss down' }))
  await t.rejects(account(h, 'alice'), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /getent passwd alice exited with 1: nss down/ })
  await t.rejects(group(h, 'ops'), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /getent group ops exited with 1/ })
  const garbled = new FakeHost()
  garbled.handlers.push(() => ({ exitCode: 0, stdout: 'alice:x\n', stderr: '' }))
  await t.rejects(account(garbled, 'alice'), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED' })
  await t.rejects(group(garbled, 'ops'), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED' })
})
