// The desired state and the difference to what was observed, as a list of actions.
// Pure: no I/O, so that `diff`, `sync --dry-run` and `sync` show and do the same.
//   - a grant is membership of one of our groups whose scope exists now (a group of a
//     cluster this configuration does not sync keeps its members' roles, no more);
//   - every user with a grant gets a role, a mapping and a binding per grant;
//   - a user over an IAM limit is reported and left exactly as they are;
//   - the groups come from IAM or from Identity Center (people/); only IAM's are ours
//     to create and delete;
//   - IAM (or the source of people) failing means no writes at all; a cluster that could not be read in full is
//     left alone (and its groups' members keep their roles), while every cluster that
//     was read in full is brought to the desired state, removals included: revocation
//     on one cluster never waits for another (invariant 9).
import { TIERS, LIMITS, groupName, parseGroupName, roleNameFor, type Scope } from '../model/names.ts'
import { sameTrust } from '../iam/trust-policy.ts'
import type { ClusterSyncSettings } from '../config/schema.ts'
import { problem, type Problem } from '../errors.ts'
import { sortActions, type Action } from './actions.ts'
import type { Observation } from './observe.ts'
import { planCluster } from './plan-cluster.ts'
import { clusterScopes, selectedNamespaces } from './scopes.ts'

export interface PlanSettings {
  iamPath: string
  partition: string
  accountId: string
  trustedPrincipalArns: readonly string[]
  maxSessionDuration: number
  clusters: ReadonlyArray<{ name: string, settings: ClusterSyncSettings }>
  // Discovery is on and read every region: a cluster of one of our groups that is in
  // none of them, and not listed, is reported as gone (never pruned: see decommission).
  reportGone?: boolean
}

export interface Plan {
  actions: Action[]
  problems: Problem[]
  // What a failed read held back, one sentence each (empty when every read worked).
  heldBack: string[]
  // Users with at least one grant.
  users: number
}

export function makePlan (obs: Observation, s: PlanSettings): Plan {
  const problems: Problem[] = [...obs.failures, ...obs.iam?.peopleProblems ?? []]
  if (obs.iam === undefined) return { actions: [], problems, heldBack: ['IAM could not be read in full: nothing was written anywhere and no access was taken away'], users: 0 }
  const heldBack: string[] = []
  for (const c of s.clusters) {
    const state = obs.clusters.get(c.name)
    if (state === undefined) heldBack.push(`${c.name} could not be read in full: nothing on it was changed and its groups' members keep their roles; the other clusters were synced, removals included`)
    else if (state.discoveryMissing.length > 0) heldBack.push(`${c.name}: API discovery missed ${state.discoveryMissing.join(', ')}: the tiers' rules there were left as they are; everything else there was synced, removals included`)
  }

  const scopes = new Map<string, Scope[]>()
  const validGroups = new Set<string>()
  for (const c of s.clusters) {
    const state = obs.clusters.get(c.name)
    if (state === undefined) continue
    const found = clusterScopes(c.name, selectedNamespaces(c.settings, state.namespaces))
    problems.push(...found.problems)
    scopes.set(c.name, found.scopes)
    for (const scope of found.scopes) for (const t of TIERS) validGroups.add(groupName(t, scope))
  }

  const configured = new Set(s.clusters.map((c) => c.name))
  const members = new Map<string, readonly string[]>()
  const granted = new Set<string>()
  const kept = new Set<string>()
  const groupsOf = new Map<string, number>()
  const staleEmpty: string[] = []
  const gone = new Map<string, number>()
  for (const g of obs.iam.groups) {
    for (const u of g.members) groupsOf.set(u, (groupsOf.get(u) ?? 0) + 1)
    const grant = parseGroupName(g.name)
    if (validGroups.has(g.name)) {
      members.set(g.name, g.members)
      for (const u of g.members) granted.add(u)
    } else if (grant === undefined) {
      // Not one of our names: not ours to judge.
    } else if (!configured.has(grant.cluster)) {
      // A grant on a cluster this configuration does not sync (another instance may):
      // it keeps the user's role, though this run makes none for it.
      for (const u of g.members) kept.add(u)
      gone.set(grant.cluster, (gone.get(grant.cluster) ?? 0) + 1)
    } else if (!scopes.has(grant.cluster)) {
      // Its cluster could not be read: its members keep their roles.
      for (const u of g.members) granted.add(u)
    } else if (g.members.length === 0) {
      staleEmpty.push(g.name)
    } else {
      problems.push(problem('BASTION_RBACSYNC_STALE_GROUP', g.name,
        `${g.name} stands for a scope that no longer exists (or is excluded) and still has ${g.members.length} member(s): remove them and the next run deletes the group`, 'warning'))
    }
  }

  if (s.reportGone === true) {
    for (const [cluster, n] of gone) {
      problems.push(problem('BASTION_RBACSYNC_CLUSTER_GONE', cluster,
        `${cluster} is neither listed nor found in rbacsync.discover.regions, and ${n} of our groups name it: they and their members' roles are kept; once it is gone for good, run \`bastion-rbacsync decommission ${cluster}\``, 'warning'))
    }
  }

  const frozen = new Set<string>()
  const ownsGroups = obs.iam.ownsGroups ?? true
  for (const [user, n] of groupsOf) {
    // IAM's limit; Identity Center has none of its own to respect here.
    if (ownsGroups && n > LIMITS.groupsPerUser) {
      frozen.add(user)
      problems.push(problem('BASTION_RBACSYNC_TOO_MANY_GROUPS', user, `${user} is in ${n} of our groups, IAM allows ${LIMITS.groupsPerUser} per user: their access was left as it was`))
    }
    if (granted.has(user) && roleNameFor(user).length > LIMITS.roleName) {
      frozen.add(user)
      problems.push(problem('BASTION_RBACSYNC_ROLE_NAME_TOO_LONG', user, `${user} gets no access: the role name has ${roleNameFor(user).length} characters, IAM allows ${LIMITS.roleName}`))
    }
  }

  const created = new Map(obs.iam.groups.flatMap((g) => g.created !== undefined ? [[g.name, g.created] as const] : []))
  const actions: Action[] = []
  const ownedGroups = new Set(obs.iam.groups.map((g) => g.name))
  // Identity Center's groups are made by whoever administers the identity store.
  if (ownsGroups) {
    for (const group of validGroups) if (!ownedGroups.has(group)) actions.push({ op: 'createGroup', group })
    for (const group of staleEmpty) actions.push({ op: 'deleteGroup', group })
  }

  const roles = new Map(obs.iam.roles.map((r) => [r.name, r]))
  for (const user of granted) {
    if (frozen.has(user)) continue
    const role = roleNameFor(user)
    const current = roles.get(role)
    if (current === undefined) {
      actions.push({ op: 'createRole', role, user })
    } else {
      if (!sameTrust(current.trustPolicy, s.trustedPrincipalArns, user)) actions.push({ op: 'updateTrust', role, user })
      if (current.maxSessionDuration !== s.maxSessionDuration) actions.push({ op: 'updateMaxSession', role, seconds: s.maxSessionDuration })
    }
  }
  // A frozen user's access stays as it is, but their role's trust policy is kept
  // current: that only narrows who may assume it (as them, and nobody else).
  for (const user of frozen) {
    const current = roles.get(roleNameFor(user))
    if (current !== undefined && !sameTrust(current.trustPolicy, s.trustedPrincipalArns, user)) actions.push({ op: 'updateTrust', role: roleNameFor(user), user })
  }
  // A role nobody needs goes, even when a cluster could not be read: grants on that
  // cluster are in `granted`, and a mapping left there points at a role that is gone
  // until the cluster's next full read removes it.
  for (const r of obs.iam.roles) if (!granted.has(r.name) && !kept.has(r.name) && !frozen.has(r.name)) actions.push({ op: 'deleteRole', role: r.name, user: r.name })

  for (const c of s.clusters) {
    const state = obs.clusters.get(c.name)
    const clusterScopesFound = scopes.get(c.name)
    if (state === undefined || clusterScopesFound === undefined) continue
    const planned = planCluster({
      cluster: c.name,
      settings: c.settings,
      state,
      scopes: clusterScopesFound,
      membersOf: (g) => members.get(g) ?? [],
      groupCreated: (g) => created.get(g),
      frozen,
      iamPath: s.iamPath,
      partition: s.partition,
      accountId: s.accountId
    })
    actions.push(...planned.actions)
    problems.push(...planned.problems)
  }
  return { actions: sortActions(actions), problems, heldBack, users: [...granted].filter((u) => !frozen.has(u)).length }
}
