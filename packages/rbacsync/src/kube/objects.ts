// The Kubernetes objects the reconciler reads and writes, reduced to the fields it uses.
import type { ObjectMeta } from '../model/marks.ts'
import type { PolicyRule } from '../model/tiers.ts'

export type RbacKind = 'ClusterRole' | 'ClusterRoleBinding' | 'Role' | 'RoleBinding'
export const RBAC_KINDS: readonly RbacKind[] = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']

export interface Subject {
  kind: string
  name: string
  apiGroup?: string
  namespace?: string
}

export interface RoleRef {
  apiGroup: string
  kind: string
  name: string
}

export interface RbacObject {
  kind: RbacKind
  metadata: ObjectMeta
  rules?: PolicyRule[]
  roleRef?: RoleRef
  subjects?: Subject[]
  // A ClusterRole's: the controller would fill its rules from every ClusterRole whose
  // labels match. Ours never carry one; see rbac-objects.ts.
  aggregationRule?: unknown
}

// A namespace by name and uid: a namespace deleted and made again has a new uid.
export interface NamespaceInfo {
  name: string
  uid: string
  // metadata.creationTimestamp (whole seconds), when the server gives it.
  created?: string
}

export interface ConfigMap {
  metadata: ObjectMeta
  data?: Record<string, string>
}

export function isBinding (kind: RbacKind): boolean {
  return kind === 'ClusterRoleBinding' || kind === 'RoleBinding'
}

export function objectKey (kind: RbacKind, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`
}

export function keyOf (o: RbacObject): string {
  return objectKey(o.kind, o.metadata.namespace, o.metadata.name ?? '')
}
