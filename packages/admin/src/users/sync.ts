// `bastion users sync`: one Unix account per person in an access group, locked when they
// are in none any more, and the keys cache sshd answers from. Fail closed: unless the
// source of people (IAM or Identity Center), their keys and the host's accounts were
// read in full, nothing is changed, not even the keys.
import { authorizedLines, readKnownBodies, writeKeysCache, writeKnownBodies } from './keys-cache.ts'
import { writeNamespaceFiles } from './namespace-files.ts'
import { PeopleReadError, type PeopleSource } from '@bastion/rbacsync'
import { readPeople, type KeySource } from './people.ts'
import { planUsers, type Change } from './plan.ts'
import type { Accounts } from './accounts.ts'

export interface UsersSyncDeps {
  // The members of the access groups (rbacsync's shared reader: IAM or Identity Center).
  people: PeopleSource
  // Their SSH keys: IAM's, or the key directory's.
  keys: KeySource
  accounts: Accounts
  keysDir: string
  // The group of the keys command's user, which may read the cache.
  keysGid: () => Promise<number>
  // An account's own (primary) group, the group of its namespaces file.
  gidOf: (name: string) => Promise<number>
  now: () => Date
}

export interface UsersSyncSettings {
  allowedGroup: string
  shell: string
  // The GECOS of our accounts (plan.ts markFor).
  mark?: string
  maxAgeSeconds: number
  // Where each person's namespaces file goes (namespace-files.ts); none: not written.
  namespacesDir?: string
  dryRun: boolean
}

export interface UsersReport {
  // Set when a read failed: then nothing else happened.
  failed?: string
  changes: Array<{ change: Change, done: boolean }>
  problems: string[]
  people: number
  keys?: { accounts: number, written: number, removed: number, validUntil: string }
  namespaces?: { written: number, removed: number }
}

export async function syncUsers (deps: UsersSyncDeps, s: UsersSyncSettings): Promise<UsersReport> {
  let read
  let accounts
  let keysGid
  try {
    keysGid = await deps.keysGid()
    read = await readPeople(deps.people, deps.keys, await readKnownBodies(deps.keysDir))
    accounts = await deps.accounts.list()
  } catch (err) {
    return { failed: describeReadError(err), changes: [], problems: [], people: 0 }
  }
  const plan = planUsers(read.people, accounts, { allowedGroup: s.allowedGroup, shell: s.shell, ...(s.mark !== undefined ? { mark: s.mark } : {}) })
  const report: UsersReport = { changes: [], problems: [...read.problems, ...plan.problems], people: read.people.length }
  if (s.dryRun) {
    report.changes = plan.changes.map((change) => ({ change, done: false }))
    return report
  }
  const byName = new Map(accounts.map((a) => [a.name, a]))
  const notMade = new Set<string>()
  for (const change of plan.changes) {
    try {
      const account = byName.get(change.name)
      if (change.op === 'create') await deps.accounts.create(change.name)
      else if (account !== undefined && change.op === 'restore') await deps.accounts.restore(account)
      else if (account !== undefined) await deps.accounts.lock(account)
      report.changes.push({ change, done: true })
    } catch (err) {
      report.changes.push({ change, done: false })
      report.problems.push(`${change.why}: failed: ${(err as Error).message}`)
      if (change.op === 'create') notMade.add(change.name)
    }
  }
  const served = new Map<string, string[]>()
  for (const [name, keys] of plan.keys) {
    if (notMade.has(name)) continue
    const { lines, refused } = authorizedLines(keys)
    if (refused > 0) report.problems.push(`${name}: ${refused} IAM key(s) are not plain public keys and are not served`)
    served.set(name, lines)
  }
  const validUntil = new Date(deps.now().getTime() + s.maxAgeSeconds * 1000)
  const written = await writeKeysCache(deps.keysDir, served, validUntil, { uid: 0, gid: keysGid })
  await writeKnownBodies(deps.keysDir, read.bodies)
  report.keys = { accounts: served.size, ...written, validUntil: validUntil.toISOString() }
  if (s.namespacesDir !== undefined) {
    const held = new Map([...plan.namespaces].filter(([name]) => served.has(name)))
    try {
      report.namespaces = await writeNamespaceFiles(s.namespacesDir, held, deps.gidOf)
    } catch (err) {
      report.problems.push(`the namespaces files in ${s.namespacesDir} could not be written: ${(err as Error).message}`)
    }
  }
  return report
}

// What could not be read, with the service's own words (an SDK error keeps its name).
function describeReadError (err: unknown): string {
  if (!(err instanceof PeopleReadError)) return (err as Error).message
  const cause = err.cause as Error
  return `could not read ${err.what}: ${cause.message.startsWith(cause.name) || cause.name === 'Error' ? cause.message : `${cause.name}: ${cause.message}`}`
}

// The report as the command prints it, one line per fact.
export function formatUsersReport (r: UsersReport, dryRun: boolean): string[] {
  if (r.failed !== undefined) return [`users sync: the people and their keys could not be read in full, nothing was changed: ${r.failed}`]
  const lines = r.changes.map(({ change, done }) => dryRun ? `would ${change.why}` : done ? change.why.replace(/^(create|restore|lock)/, (w) => ({ create: 'created', restore: 'restored', lock: 'locked' })[w] ?? w) : `not done: ${change.why}`)
  for (const p of r.problems) lines.push(`problem: ${p}`)
  if (r.keys !== undefined) lines.push(`keys: ${r.keys.accounts} account(s) served until ${r.keys.validUntil} (${r.keys.written} file(s) written, ${r.keys.removed} removed)`)
  if (r.namespaces !== undefined && r.namespaces.written + r.namespaces.removed > 0) lines.push(`namespaces: ${r.namespaces.written} file(s) written, ${r.namespaces.removed} removed`)
  lines.push(`users sync: ${r.people} people in the access groups, ${r.changes.filter((c) => c.done || dryRun).length} change(s)${dryRun ? ' pending' : ''}, ${r.problems.length} problem(s)`)
  return lines
}
