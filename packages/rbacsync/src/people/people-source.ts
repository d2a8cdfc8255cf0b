// The one reader of people and groups that rbacsync and `bastion users sync` share:
// the access groups (k8s-<tier>@C[@N]) and, for each, the names of its members as
// they become per-user IAM roles and Unix accounts. Two sources implement it: IAM
// groups under rbacsync's path (iam-people.ts) and the groups of an IAM Identity
// Center identity store (identity-store-people.ts). A read is complete or it throws
// PeopleReadError: a failed page never becomes a shorter list, so a caller that gets
// no answer changes nothing.
import type { Problem } from '../errors.ts'

export interface AccessGroup {
  name: string
  // When it was made (ISO 8601), when the source says.
  created?: string
  // The members' names, as roles and accounts are named after them.
  members: string[]
}

export interface People {
  groups: AccessGroup[]
  // People left out of every group, each with why: a name that cannot be a role or an
  // account, or two people whose names would be one.
  problems: Problem[]
}

export interface PeopleSource {
  // What the reports call the source.
  readonly label: string
  // The source's groups are rbacsync's to create and delete (IAM); Identity Center's
  // belong to whoever administers the identity store.
  readonly ownsGroups: boolean
  read (): Promise<People>
}

// A read that failed, with what it was reading.
export class PeopleReadError extends Error {
  readonly what: string
  constructor (what: string, cause: unknown) {
    super(what, { cause })
    this.name = 'PeopleReadError'
    this.what = what
  }
}

export async function step<T> (what: string, fn: () => Promise<T>): Promise<T> {
  try { return await fn() } catch (err) { throw new PeopleReadError(what, err) }
}
