// How the reconciler marks what it owns, and recognises it again. Kubernetes objects
// carry a label (ownership) and an annotation naming the IAM group (which cluster and
// scope they belong to); IAM groups and roles live under our path; aws-auth entries
// are listed in an annotation on the ConfigMap; access entries carry a tag.
import { parseGroupName, type Grant } from './names.ts'

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY = 'bastion-rbacsync'
export const GROUP_ANNOTATION = 'bastion/iam-group'
// On a namespace's Role and RoleBinding: the uid of the namespace its grants were made
// for ("unknown" when rbacsync first saw the namespace while its groups had members).
export const NAMESPACE_UID_ANNOTATION = 'bastion/namespace-uid'
export const AWS_AUTH_OWNED_ANNOTATION = 'bastion/rbacsync-roles'
export const OWNER_TAG = { Key: 'managed-by', Value: MANAGED_BY } as const
export const USER_TAG_KEY = 'bastion:user'

export interface ObjectMeta {
  name?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export function isOwned (meta: ObjectMeta | undefined): boolean {
  return meta?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY
}

// The grant an owned object stands for, when it names one of `cluster`'s groups.
// Owned objects of another cluster name are left alone: two configurations may share
// an API server (as the tests do), and a renamed cluster must not lose its objects.
export function ownedGrant (meta: ObjectMeta | undefined, cluster: string): Grant | undefined {
  if (!isOwned(meta)) return undefined
  const grant = parseGroupName(meta?.annotations?.[GROUP_ANNOTATION] ?? '')
  return grant?.cluster === cluster ? grant : undefined
}

// Marked ours, for the group `group` (by default the object's own name).
export function ownedMeta (name: string, namespace?: string, group = name): ObjectMeta {
  const meta: ObjectMeta = { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations: { [GROUP_ANNOTATION]: group } }
  if (namespace !== undefined) meta.namespace = namespace
  return meta
}
