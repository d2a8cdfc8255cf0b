// The naming scheme everything hangs on: tier and scope <-> IAM group name, which is
// also the name of the Kubernetes ClusterRole/Role and its binding; and IAM's limits.

export const TIERS = ['admin', 'poweruser', 'user'] as const
export type Tier = typeof TIERS[number]

// A cluster, or one namespace of it.
export interface Scope {
  cluster: string
  namespace?: string
}

export interface Grant extends Scope {
  tier: Tier
}

// IAM quotas that the reconciler checks before it writes anything for a name.
export const LIMITS = {
  groupName: 128,
  roleName: 64,
  groupsPerUser: 10
} as const

export function groupName (tier: Tier, scope: Scope): string {
  return scope.namespace === undefined ? `k8s-${tier}@${scope.cluster}` : `k8s-${tier}@${scope.cluster}@${scope.namespace}`
}

const GROUP = /^k8s-(admin|poweruser|user)@([0-9A-Za-z][A-Za-z0-9_-]*)(?:@([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/

// The grant a group name stands for, or undefined when it is not one of ours.
export function parseGroupName (name: string): Grant | undefined {
  const m = GROUP.exec(name)
  if (m === null) return undefined
  const grant: Grant = { tier: m[1] as Tier, cluster: m[2]! }
  if (m[3] !== undefined) grant.namespace = m[3]
  return grant
}

export function scopeKey (scope: Scope): string {
  return scope.namespace === undefined ? scope.cluster : `${scope.cluster}@${scope.namespace}`
}

export function describeScope (scope: Scope): string {
  return scope.namespace === undefined ? `cluster ${scope.cluster}` : `namespace ${scope.namespace} of cluster ${scope.cluster}`
}

// The per-user IAM role is named like the user (the metadata proxy asks for it by that name).
export function roleNameFor (user: string): string {
  return user
}

// aws-auth wants the role ARN without its path: the authenticator strips the path
// from the assumed-role ARN before it looks the mapping up.
export function mapRoleArn (partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`
}

// Access entries take the role's full ARN, path included.
export function roleArnWithPath (partition: string, accountId: string, path: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${roleName}`
}
