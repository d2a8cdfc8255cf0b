// The host's Unix accounts as `bastion users sync` sees and changes them, through
// getent, useradd, usermod and gpasswd (the Exec of setup, so unit tests use a fake).
import { runOk, type Exec } from '../setup/exec.ts'
import type { Account } from './plan.ts'

export interface AccountSettings {
  allowedGroup: string
  shell: string
  gecos: string
}

export interface Accounts {
  list (): Promise<Account[]>
  create (name: string): Promise<void>
  restore (account: Account): Promise<void>
  lock (account: Account): Promise<void>
}

const DAY_MS = 86_400_000

export function hostAccounts (exec: Exec, s: AccountSettings, now: () => Date = () => new Date()): Accounts {
  return {
    async list () {
      const [passwd, groups, shadow] = await Promise.all([getent(exec, 'passwd'), getent(exec, 'group'), getent(exec, 'shadow')])
      const gidName = new Map<string, string>()
      const members = new Map<string, string[]>()
      for (const g of groups) {
        gidName.set(g[2] ?? '', g[0] ?? '')
        for (const m of (g[3] ?? '').split(',').filter((x) => x !== '')) members.set(m, [...(members.get(m) ?? []), g[0] ?? ''])
      }
      const expires = new Map(shadow.map((f) => [f[0] ?? '', f[7] ?? '']))
      const today = Math.floor(now().getTime() / DAY_MS)
      return passwd.map((f) => {
        const name = f[0] ?? ''
        const expire = expires.get(name) ?? ''
        return {
          name,
          gecos: f[4] ?? '',
          shell: f[6] ?? '',
          groups: [gidName.get(f[3] ?? '') ?? '', ...(members.get(name) ?? [])].filter((g) => g !== ''),
          expired: expire !== '' && Number(expire) <= today
        }
      })
    },
    async create (name) {
      // --user-group: a group of their own, so that taking them out of the allowed group
      // is all it takes; useradd refuses, changing nothing, when that group exists.
      await runOk(exec, 'useradd', ['--create-home', '--user-group', '--shell', s.shell, '--groups', s.allowedGroup, '--comment', s.gecos, '--', name])
    },
    async restore (a) {
      // The password stays locked: these accounts log in with keys only.
      await runOk(exec, 'usermod', ['--expiredate', '', '--shell', s.shell, '--', a.name])
      if (!a.groups.includes(s.allowedGroup)) await runOk(exec, 'gpasswd', ['-a', a.name, s.allowedGroup])
      if (a.groups.includes('docker')) await runOk(exec, 'gpasswd', ['-d', a.name, 'docker'])
    },
    async lock (a) {
      // Expired first: from then on sshd refuses them, whatever else fails.
      await runOk(exec, 'usermod', ['--lock', '--expiredate', '1', '--', a.name])
      if (a.groups.includes(s.allowedGroup)) await runOk(exec, 'gpasswd', ['-d', a.name, s.allowedGroup])
    }
  }
}

async function getent (exec: Exec, db: string): Promise<string[][]> {
  const r = await runOk(exec, 'getent', [db])
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(':'))
}
