// IAM's quota on the account's groups (300 by default, every path counted). A plan that
// would pass it creates none of its new groups, and none of the Roles and bindings of
// the scopes those groups stand for: a scope is applied whole or not at all. Everything
// else in the plan (grants in existing scopes, removals) still goes ahead.
import { parseGroupName, scopeKey } from '../model/names.ts'
import { ownedGrant } from '../model/marks.ts'
import { describeError, problem, type Problem } from '../errors.ts'
import type { GroupQuota } from '../iam/iam-api.ts'
import type { Action } from './actions.ts'

export async function fitGroupQuota (actions: Action[], read: () => Promise<GroupQuota>): Promise<{ actions: Action[], problems: Problem[] }> {
  const creates = actions.filter((a) => a.op === 'createGroup')
  if (creates.length === 0) return { actions, problems: [] }
  let q: GroupQuota
  let why: string
  try {
    q = await read()
    if (q.groups + creates.length <= q.quota) return { actions, problems: [] }
    why = `the plan creates ${creates.length} IAM group(s) and the account has ${q.groups} of the ${q.quota} IAM allows`
  } catch (err) {
    why = `the account's IAM group quota could not be read (GetAccountSummary: ${describeError(err)})`
  }
  const held = new Set<string>()
  for (const a of creates) {
    const g = parseGroupName(a.group)
    if (g !== undefined) held.add(scopeKey(g))
  }
  const inHeldScope = (a: Action): boolean => {
    if (a.op !== 'createObject' && a.op !== 'replaceObject') return false
    const g = ownedGrant(a.object.metadata, a.cluster)
    return g !== undefined && held.has(scopeKey(g))
  }
  const scopes = [...held].sort()
  return {
    actions: actions.filter((a) => a.op !== 'createGroup' && !inHeldScope(a)),
    problems: [problem('BASTION_RBACSYNC_GROUP_QUOTA', 'iam', `${why}: no new scope was set up (${scopes.join(', ')}). Ask AWS to raise the quota (Service Quotas, IAM "Groups per account"), or narrow rbacsync.clusters.<name>.includeNamespaces`)]
  }
}
