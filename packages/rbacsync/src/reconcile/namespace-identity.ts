// Is a namespace still the one its grants were made for? Our Role and RoleBinding in a
// namespace record the namespace's uid. A namespace deleted and made again under the
// same name has a new uid, and the members of its groups were given the old one: on a
// real cluster the namespace controller deleted our objects with it, on a server
// without one they linger and come back bound. Either way nobody is granted there again
// without a decision: the scope is held (no subjects) while its groups have members,
// and it records the new uid once they are empty. A namespace with members in its
// groups and none of our objects is one whose objects went with an older namespace of
// that name, unless a group of it was made after the namespace (groups made for it
// before rbacsync first ran there, as on a first deployment): then it is simply new.
import { TIERS, groupName, type Scope } from '../model/names.ts'
import { NAMESPACE_UID_ANNOTATION, ownedGrant } from '../model/marks.ts'
import { objectKey, type RbacObject } from '../kube/objects.ts'
import type { ClusterState } from './observe.ts'

// Recorded when rbacsync first meets a namespace whose groups already have members.
export const UNKNOWN_NAMESPACE = 'unknown'

export interface NamespaceIdentity {
  // The uid to record on the scope's objects; undefined for a cluster scope.
  record?: string
  // True: nobody is bound in the scope until its groups are emptied.
  held: boolean
  // The members of the scope's groups.
  members: string[]
}

export function namespaceIdentity (scope: Scope, state: ClusterState, existing: ReadonlyMap<string, RbacObject>, membersOf: (group: string) => readonly string[], groupCreated?: (group: string) => string | undefined): NamespaceIdentity {
  const ns = scope.namespace
  if (ns === undefined) return { held: false, members: [] }
  const current = state.namespaceUids.get(ns) ?? ''
  const members = [...new Set(TIERS.flatMap((t) => membersOf(groupName(t, scope))))].sort()
  const ours = TIERS.flatMap((t) => (['Role', 'RoleBinding'] as const).map((k) => existing.get(objectKey(k, ns, groupName(t, scope)))))
    .filter((o): o is RbacObject => o !== undefined && ownedGrant(o.metadata, scope.cluster) !== undefined)
  // Objects of an rbacsync that recorded no uid are adopted: their grants stand.
  const nsCreated = Date.parse(state.namespaceCreated?.get(ns) ?? '')
  const madeForIt = TIERS.some((t) => Date.parse(groupCreated?.(groupName(t, scope)) ?? '') > nsCreated)
  const previous = ours.map((o) => o.metadata.annotations?.[NAMESPACE_UID_ANNOTATION]).find((u) => u !== undefined && u !== current) ??
    (ours.length === 0 && members.length > 0 && !madeForIt ? UNKNOWN_NAMESPACE : undefined)
  if (previous === undefined || members.length === 0) return { record: current, held: false, members }
  return { record: previous, held: true, members }
}
