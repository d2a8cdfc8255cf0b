// The host's accounts through getent, useradd, usermod and gpasswd, on a fake host.
import t from 'tap'
import { hostAccounts } from '../../src/users/accounts.ts'
import type { Exec, RunResult } from '../../src/setup/exec.ts'

const S = { allowedGroup: 'bastion-users', shell: '/usr/local/bin/bastion-shell', gecos: 'bastion users sync' }
const NOW = () => new Date('2026-12-03T08:00:00Z') // day 20790

function host (db: Record<string, string>, fail: Record<string, RunResult> = {}): Exec & { calls: string[][] } {
  const calls: string[][] = []
  return {
    calls,
    async run (cmd, args) {
      calls.push([cmd, ...args])
      const f = fail[cmd]
      if (f !== undefined) return f
      if (cmd === 'getent') return { exitCode: 0, stdout: db[args[0] as string] ?? '', stderr: '' }
      return { exitCode: 0, stdout: '', stderr: '' }
    }
  }
}

const DB = {
  passwd: 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:bastion users sync:/home/alice:/usr/local/bin/bastion-shell\nbob:x:1002:1002:bastion users sync:/home/bob:/bin/sh\n',
  group: 'root:x:0:\nalice:x:1001:\nbob:x:1002:\nbastion-users:x:3000:alice\ndocker:x:999:bob\n',
  shadow: 'root:*:19000:0:99999:7:::\nalice:!:20000:0:99999:7:::\nbob:!!:20000:0:99999:7::1:\n'
}

t.test('accounts come with their GECOS, shell, every group (primary too) and whether they expired', async (t) => {
  const list = await hostAccounts(host(DB), S, NOW).list()
  t.same(list, [
    { name: 'root', gecos: 'root', shell: '/bin/bash', groups: ['root'], expired: false },
    { name: 'alice', gecos: 'bastion users sync', shell: '/usr/local/bin/bastion-shell', groups: ['alice', 'bastion-users'], expired: false },
    { name: 'bob', gecos: 'bastion users sync', shell: '/bin/sh', groups: ['bob', 'docker'], expired: true }
  ])
})

t.test('create: a home, a group of their own, the allowed group, our shell and our mark, nothing else', async (t) => {
  const h = host(DB)
  await hostAccounts(h, S, NOW).create('carol')
  t.same(h.calls, [['useradd', '--create-home', '--user-group', '--shell', S.shell, '--groups', 'bastion-users', '--comment', 'bastion users sync', '--', 'carol']])
})

t.test('restore undoes a lock and any drift; lock expires first, then takes them out of the group', async (t) => {
  const h = host(DB)
  const a = hostAccounts(h, S, NOW)
  const [, alice, bob] = await a.list()
  h.calls.length = 0
  await a.restore(bob!)
  t.same(h.calls, [['usermod', '--expiredate', '', '--shell', S.shell, '--', 'bob'], ['gpasswd', '-a', 'bob', 'bastion-users'], ['gpasswd', '-d', 'bob', 'docker']])
  h.calls.length = 0
  await a.lock(alice!)
  t.same(h.calls, [['usermod', '--lock', '--expiredate', '1', '--', 'alice'], ['gpasswd', '-d', 'alice', 'bastion-users']])
  h.calls.length = 0
  await a.lock(bob!)
  t.same(h.calls, [['usermod', '--lock', '--expiredate', '1', '--', 'bob']], 'not in the group: only expired')
})

t.test('a failing command or getent is an error naming it', async (t) => {
  await t.rejects(hostAccounts(host(DB, { useradd: { exitCode: 9, stdout: '', stderr: "useradd: group carol exists - if you want to add this user to that group, use -g." } }), S, NOW).create('carol'), /useradd .* exited with 9: useradd: group carol exists/)
  await t.rejects(hostAccounts(host(DB, { getent: { exitCode: 1, stdout: '', stderr: 'nss down' } }), S, NOW).list(), /getent passwd exited with 1/)
})

t.test("short lines (a group with no member list, a user without a shadow line) read as empty fields; today is the clock's", async (t) => {
  const list = await hostAccounts(host({ passwd: 'dave:x:1003:4000\n', group: 'staff:x:50\n', shadow: '' }), S).list()
  t.same(list, [{ name: 'dave', gecos: '', shell: '', groups: [], expired: false }])
})
