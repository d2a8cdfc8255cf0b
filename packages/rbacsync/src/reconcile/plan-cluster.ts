// The plan for one cluster read in full: the tiers' roles and bindings in every scope,
// the deletion of our objects no scope wants any more, and the identity mapping.
// Objects that are not ours are never touched: a name collision is reported and the
// scope is left alone. When API discovery missed some groups, the tiers' rules that
// depend on it (poweruser, user) stay as they are. A namespace made again under an old
// name grants nobody until someone decides (namespace-identity.ts).
import { TIERS, groupName, describeScope, mapRoleArn, roleArnWithPath, roleNameFor, type Scope, type Tier } from '../model/names.ts'
import { NAMESPACE_UID_ANNOTATION, ownedGrant } from '../model/marks.ts'
import { PROTECTED_NAMESPACE, clusterTierRules, tierRules, type PolicyRule } from '../model/tiers.ts'
import { keyOf, objectKey, type RbacObject, type Subject } from '../kube/objects.ts'
import { editAwsAuth } from '../mapping/aws-auth.ts'
import type { ClusterSyncSettings } from '../config/schema.ts'
import { problem, type Problem } from '../errors.ts'
import type { Action } from './actions.ts'
import type { ClusterState } from './observe.ts'
import { namespaceIdentity } from './namespace-identity.ts'
import { desiredBinding, desiredRole, desiredSpreadBinding, desiredSpreadRole, merged, sameRoleRef, spreadRoleName, subjectKey, upToDate, userSubjects } from './rbac-objects.ts'

export interface ClusterPlanInput {
  cluster: string
  settings: ClusterSyncSettings
  state: ClusterState
  scopes: readonly Scope[]
  membersOf: (group: string) => readonly string[]
  // When a group was made, when IAM says.
  groupCreated?: (group: string) => string | undefined
  // Users the run must not change (a limit was hit).
  frozen: ReadonlySet<string>
  iamPath: string
  partition: string
  accountId: string
}

export function planCluster (input: ClusterPlanInput): { actions: Action[], problems: Problem[] } {
  const { cluster, state, frozen } = input
  const rulesHeld = state.discoveryMissing.length > 0
  const actions: Action[] = []
  const problems: Problem[] = []
  const existing = new Map(state.objects.map((o) => [keyOf(o), o]))
  const wanted = new Set<string>()
  const untouchable = new Set<string>()
  const mapped = new Set<string>()
  const upsert = (before: RbacObject | undefined, desired: RbacObject): void => {
    if (before === undefined) actions.push({ op: 'createObject', cluster, object: desired })
    else if (!upToDate(before, desired)) actions.push({ op: 'replaceObject', cluster, object: merged(before, desired), before })
  }

  const upsertBinding = (before: RbacObject | undefined, desired: RbacObject): void => {
    // roleRef is immutable: drop the binding; the next run creates it again.
    if (before !== undefined && !sameRoleRef(before, desired)) actions.push({ op: 'deleteObject', cluster, object: before })
    else upsert(before, desired)
  }
  // A cluster tier's namespaced rights: its ClusterRole ":namespaced" and a RoleBinding
  // in every namespace but kube-system, with the ClusterRoleBinding's subjects.
  const spread = (tier: Exclude<Tier, 'admin'>, rules: PolicyRule[], subjects: Subject[]): void => {
    const grant = { tier, cluster }
    const group = groupName(tier, { cluster })
    const roleKey = objectKey('ClusterRole', undefined, spreadRoleName(group))
    const namespaces = state.namespaces.filter((n) => n !== PROTECTED_NAMESPACE)
    const keys = [roleKey, ...namespaces.map((n) => objectKey('RoleBinding', n, group))]
    const foreign = keys.filter((k) => { const o = existing.get(k); return o !== undefined && ownedGrant(o.metadata, cluster) === undefined })
    if (foreign.length > 0) {
      for (const k of keys) untouchable.add(k)
      problems.push(problem('BASTION_RBACSYNC_FOREIGN_CONFLICT', cluster, `${foreign.join(' and ')} exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'is' : 'are'} not ours: tier ${tier} of the cluster gets no rights in namespaces`))
      return
    }
    for (const k of keys) wanted.add(k)
    const before = existing.get(roleKey)
    const wantRole = desiredSpreadRole(grant, rulesHeld && before?.rules !== undefined ? before.rules : rules)
    upsert(before, wantRole)
    for (const n of namespaces) upsertBinding(existing.get(objectKey('RoleBinding', n, group)), desiredSpreadBinding(grant, n, subjects))
  }

  for (const scope of input.scopes) {
    const identity = namespaceIdentity(scope, state, existing, input.membersOf, input.groupCreated)
    if (identity.held) {
      problems.push(problem('BASTION_RBACSYNC_NAMESPACE_RECREATED', cluster,
        `namespace ${scope.namespace ?? ''} was deleted and made again (or our objects in it were removed) while ${identity.members.length} member(s) of its groups had access: ${identity.members.join(', ')} get nothing there until someone decides. Empty the groups k8s-*@${cluster}@${scope.namespace ?? ''} (the next run records the new namespace), then add back whoever should have access`))
    }
    for (const tier of TIERS) {
      const name = groupName(tier, scope)
      const ns = scope.namespace
      const roleKey = objectKey(ns === undefined ? 'ClusterRole' : 'Role', ns, name)
      const bindingKey = objectKey(ns === undefined ? 'ClusterRoleBinding' : 'RoleBinding', ns, name)
      const role = existing.get(roleKey)
      const binding = existing.get(bindingKey)
      const foreign = [role, binding].filter((o): o is RbacObject => o !== undefined && ownedGrant(o.metadata, cluster) === undefined)
      if (foreign.length > 0) {
        untouchable.add(roleKey).add(bindingKey)
        problems.push(problem('BASTION_RBACSYNC_FOREIGN_CONFLICT', cluster,
          `${foreign.map((o) => `${o.kind} ${name}`).join(' and ')} in ${describeScope(scope)} exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'is' : 'are'} not ours: tier ${tier} is not applied there`))
        continue
      }
      wanted.add(roleKey).add(bindingKey)
      const users = identity.held ? [] : input.membersOf(name).filter((u) => !frozen.has(u))
      for (const u of users) mapped.add(u)
      const split = ns === undefined && tier !== 'admin' ? clusterTierRules(tier, state.resources) : undefined
      const wantRole = desiredRole({ tier, ...scope }, split?.cluster ?? tierRules(tier, state.resources, ns !== undefined))
      // Without full discovery the computed rules could lack a group's resources: keep
      // what the role has (admin's rules do not depend on discovery).
      if (rulesHeld && tier !== 'admin' && role?.rules !== undefined) wantRole.rules = role.rules
      // Subjects: the group's members; frozen users stay as they are (unless the
      // namespace is not the one they were granted).
      const keep = identity.held ? [] : (binding?.subjects ?? []).filter((s) => s.kind === 'User' && frozen.has(s.name))
      const subjects = [...new Map([...userSubjects(users), ...keep].map((s) => [subjectKey(s), s])).values()]
      const desired = desiredBinding({ tier, ...scope }, userSubjects([]))
      desired.subjects = subjects.sort((a, b) => subjectKey(a).localeCompare(subjectKey(b)))
      if (identity.record !== undefined) {
        for (const o of [wantRole, desired]) o.metadata.annotations = { ...o.metadata.annotations, [NAMESPACE_UID_ANNOTATION]: identity.record }
      }
      upsert(role, wantRole)
      upsertBinding(binding, desired)
      if (split !== undefined && tier !== 'admin') spread(tier, split.perNamespace, desired.subjects)
    }
  }

  const live = new Set(state.namespaces)
  for (const o of state.objects) {
    const key = keyOf(o)
    const inLiveNamespace = o.metadata.namespace === undefined || live.has(o.metadata.namespace)
    if (ownedGrant(o.metadata, cluster) !== undefined && !wanted.has(key) && !untouchable.has(key) && inLiveNamespace) {
      actions.push({ op: 'deleteObject', cluster, object: o })
    }
  }

  if (input.settings.identityMapping === 'aws-auth') {
    const arn = (u: string) => mapRoleArn(input.partition, input.accountId, roleNameFor(u))
    const intent = { desired: new Map([...mapped].map((u) => [arn(u), u])), keep: new Set([...frozen].map(arn)), prune: true }
    const edit = editAwsAuth(state.awsAuth, intent)
    for (const c of edit.conflicts) {
      problems.push(problem('BASTION_RBACSYNC_FOREIGN_CONFLICT', cluster, `aws-auth already maps ${c} in an entry that is not ours: ${intent.desired.get(c) ?? ''} is not mapped`))
    }
    if (edit.changed) actions.push({ op: 'updateAwsAuth', cluster, intent, added: edit.added, updated: edit.updated, removed: edit.removed })
  } else {
    const prefix = roleArnWithPath(input.partition, input.accountId, input.iamPath, '')
    const desired = new Map([...mapped].map((u) => [`${prefix}${roleNameFor(u)}`, u]))
    const present = new Set(state.accessEntries ?? [])
    for (const [principalArn, user] of desired) if (!present.has(principalArn)) actions.push({ op: 'createAccessEntry', cluster, principalArn, user })
    for (const principalArn of present) {
      const user = principalArn.startsWith(prefix) ? principalArn.slice(prefix.length) : ''
      if (user !== '' && !user.includes('/') && !desired.has(principalArn) && !frozen.has(user)) actions.push({ op: 'deleteAccessEntry', cluster, principalArn, user })
    }
  }
  return { actions, problems }
}
