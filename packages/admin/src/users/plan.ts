// What `bastion users sync` changes, from what IAM says and what the host has: a pure
// function, so that every rule is unit-tested. Ours are only the accounts whose GECOS
// is our mark (markFor); any other account is never touched, even when a person is named like it.
import { unixNameFor } from './names.ts'

export const MARK = 'bastion users sync'

// The GECOS of the accounts one sync makes: MARK, or with users.instance (several
// bastions on one host) MARK and that name, so that each sync sees only its own.
export function markFor (instance?: string): string {
  return instance === undefined ? MARK : `${MARK} (${instance})`
}

// A namespace of a cluster that a person holds through a namespace-tier group.
export interface NamespaceHeld { cluster: string, namespace: string }

// A member of at least one access group, with their active SSH public keys and the
// namespaces their namespace-tier groups give them.
export interface Person {
  iamName: string
  keys: string[]
  namespaces?: NamespaceHeld[]
}

// A Unix account as getent and the shadow file show it.
export interface Account {
  name: string
  gecos: string
  shell: string
  groups: string[]
  // The account's expiry date has passed (usermod -e): sshd refuses it.
  expired: boolean
}

export type Change =
  | { op: 'create', name: string, why: string }
  | { op: 'restore', name: string, why: string }
  | { op: 'lock', name: string, why: string }

export interface UsersPlan {
  changes: Change[]
  // The managed accounts that may log in, with their keys, for the keys cache.
  keys: Map<string, string[]>
  // The same accounts, with the namespaces they hold (namespace-files.ts).
  namespaces: Map<string, NamespaceHeld[]>
  problems: string[]
}

export interface PlanSettings {
  allowedGroup: string
  shell: string
  // The GECOS that marks our accounts (markFor); MARK when not given.
  mark?: string
}

export function planUsers (people: readonly Person[], accounts: readonly Account[], s: PlanSettings): UsersPlan {
  const mark = s.mark ?? MARK
  const byName = new Map(accounts.map((a) => [a.name, a]))
  const problems: string[] = []
  const wanted = new Map<string, Person>()
  const claimed = new Map<string, string[]>()
  for (const p of people) {
    const v = unixNameFor(p.iamName)
    if ('problem' in v) { problems.push(`${v.problem}: skipped`); continue }
    claimed.set(v.name, [...(claimed.get(v.name) ?? []), p.iamName])
    wanted.set(v.name, p)
  }
  for (const [name, who] of claimed) {
    if (who.length > 1) {
      problems.push(`${who.map((w) => JSON.stringify(w)).join(' and ')} would all be the Unix account ${name}: all skipped`)
      wanted.delete(name)
    }
  }
  const changes: Change[] = []
  const keys = new Map<string, string[]>()
  const namespaces = new Map<string, NamespaceHeld[]>()
  for (const [name, person] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const a = byName.get(name)
    if (a === undefined) {
      changes.push({ op: 'create', name, why: `create account ${name} for IAM user ${person.iamName}` })
    } else if (a.gecos !== mark) {
      problems.push(`IAM user ${JSON.stringify(person.iamName)}: the account ${name} exists and bastion did not make it: skipped, left as it is`)
      continue
    } else if (a.expired || !a.groups.includes(s.allowedGroup) || a.shell !== s.shell || a.groups.includes('docker')) {
      changes.push({ op: 'restore', name, why: `restore account ${name}: unlocked, in ${s.allowedGroup}, login shell ${s.shell}, not in docker` })
    }
    keys.set(name, person.keys)
    namespaces.set(name, person.namespaces ?? [])
  }
  for (const a of [...accounts].sort((x, y) => x.name.localeCompare(y.name))) {
    if (a.gecos !== mark || wanted.has(a.name)) continue
    if (!a.expired || a.groups.includes(s.allowedGroup)) {
      changes.push({ op: 'lock', name: a.name, why: `lock account ${a.name}: in no access group any more (out of ${s.allowedGroup}, expired; home kept)` })
    }
  }
  return { changes, keys, namespaces, problems }
}
