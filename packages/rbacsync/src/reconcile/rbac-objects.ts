// The RBAC objects a tier and scope should have, and how an existing object is brought
// to them: only our labels, annotations, rules and subjects change; every other field
// (other tools' labels, finalizers, owner references) is kept as it is, except an
// aggregationRule: on our ClusterRole it would let anyone who can label a ClusterRole
// pour its rules into a tier, so it is stripped and counts as drift.
import { groupName, type Grant } from '../model/names.ts'
import { ownedMeta } from '../model/marks.ts'
import type { PolicyRule } from '../model/tiers.ts'
import type { RbacObject, Subject } from '../kube/objects.ts'

const RBAC_API = 'rbac.authorization.k8s.io'

export function desiredRole (grant: Grant, rules: PolicyRule[]): RbacObject {
  const name = groupName(grant.tier, grant)
  return { kind: grant.namespace === undefined ? 'ClusterRole' : 'Role', metadata: ownedMeta(name, grant.namespace), rules }
}

export function desiredBinding (grant: Grant, subjects: Subject[]): RbacObject {
  const name = groupName(grant.tier, grant)
  return {
    kind: grant.namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: ownedMeta(name, grant.namespace),
    roleRef: { apiGroup: RBAC_API, kind: grant.namespace === undefined ? 'ClusterRole' : 'Role', name },
    subjects
  }
}

// A cluster tier's namespaced rights are not one ClusterRoleBinding but a RoleBinding
// named like the group in every namespace but kube-system, each pointing at this
// ClusterRole (see model/tiers.ts): RBAC has no deny, so "everywhere but kube-system"
// must be written out.
export function spreadRoleName (group: string): string {
  return `${group}:namespaced`
}

export function desiredSpreadRole (grant: Grant, rules: PolicyRule[]): RbacObject {
  const group = groupName(grant.tier, { cluster: grant.cluster })
  return { kind: 'ClusterRole', metadata: ownedMeta(spreadRoleName(group), undefined, group), rules }
}

export function desiredSpreadBinding (grant: Grant, namespace: string, subjects: Subject[]): RbacObject {
  const group = groupName(grant.tier, { cluster: grant.cluster })
  return { kind: 'RoleBinding', metadata: ownedMeta(group, namespace), roleRef: { apiGroup: RBAC_API, kind: 'ClusterRole', name: spreadRoleName(group) }, subjects }
}

export function userSubjects (users: Iterable<string>): Subject[] {
  return [...new Set(users)].sort().map((name) => ({ kind: 'User', apiGroup: RBAC_API, name }))
}

export function subjectKey (s: Subject): string {
  return `${s.kind}\u0000${s.apiGroup ?? ''}\u0000${s.namespace ?? ''}\u0000${s.name}`
}

// The existing object with our fields set as desired.
export function merged (existing: RbacObject, desired: RbacObject): RbacObject {
  const out: RbacObject = {
    ...existing,
    metadata: {
      ...existing.metadata,
      labels: { ...existing.metadata.labels, ...desired.metadata.labels },
      annotations: { ...existing.metadata.annotations, ...desired.metadata.annotations }
    }
  }
  if (desired.rules !== undefined) out.rules = desired.rules
  if (desired.subjects !== undefined) out.subjects = desired.subjects
  delete out.aggregationRule
  return out
}

// True when `existing` already says what `desired` says (roleRef aside: it is immutable).
export function upToDate (existing: RbacObject, desired: RbacObject): boolean {
  const labelsOk = Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => existing.metadata.labels?.[k] === v)
  const annotationsOk = Object.entries(desired.metadata.annotations ?? {}).every(([k, v]) => existing.metadata.annotations?.[k] === v)
  if (!labelsOk || !annotationsOk || existing.aggregationRule != null) return false
  if (desired.rules !== undefined && JSON.stringify((existing.rules ?? []).map(normaliseRule)) !== JSON.stringify(desired.rules.map(normaliseRule))) return false
  if (desired.subjects !== undefined) {
    const a = (existing.subjects ?? []).map(subjectKey).sort()
    const b = desired.subjects.map(subjectKey).sort()
    if (a.join('\u0001') !== b.join('\u0001')) return false
  }
  return true
}

export function sameRoleRef (existing: RbacObject, desired: RbacObject): boolean {
  const a = existing.roleRef
  const b = desired.roleRef
  return a?.apiGroup === b?.apiGroup && a?.kind === b?.kind && a?.name === b?.name
}

// The API server drops empty lists; compare without them, in a fixed key order.
function normaliseRule (r: PolicyRule & { resourceNames?: string[] }): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const k of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs'] as const) {
    const v = r[k]
    if (v !== undefined && v.length > 0) out[k] = v
  }
  return out
}
