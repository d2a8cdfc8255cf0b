// The writes a plan is made of, in the order they are applied: IAM first (groups and
// roles must exist before anything points at them), then RBAC objects (bindings are
// dropped before their roles), then the identity mapping (a user is mapped only once
// bound, and unmapped before their role goes), then deletions in IAM.
import { isBinding, type RbacObject } from '../kube/objects.ts'
import type { AwsAuthIntent } from '../mapping/aws-auth.ts'

export type Action =
  | { op: 'createGroup', group: string }
  | { op: 'createRole', role: string, user: string }
  | { op: 'updateTrust', role: string, user: string }
  | { op: 'updateMaxSession', role: string, seconds: number }
  | { op: 'createObject', cluster: string, object: RbacObject }
  | { op: 'replaceObject', cluster: string, object: RbacObject, before: RbacObject }
  | { op: 'deleteObject', cluster: string, object: RbacObject }
  | { op: 'updateAwsAuth', cluster: string, intent: AwsAuthIntent, added: string[], updated: string[], removed: string[] }
  | { op: 'createAccessEntry', cluster: string, principalArn: string, user: string }
  | { op: 'deleteAccessEntry', cluster: string, principalArn: string, user: string }
  | { op: 'deleteRole', role: string, user: string }
  | { op: 'deleteGroup', group: string }

export type Op = Action['op']

const isBindingObject = (a: Action): boolean => 'object' in a && isBinding(a.object.kind)

// Actions of one phase run concurrently; phases run one after the other.
export function phaseOf (a: Action): number {
  switch (a.op) {
    case 'createGroup': case 'createRole': case 'updateTrust': case 'updateMaxSession': return 1
    case 'createObject': case 'replaceObject': return isBindingObject(a) ? 3 : 2
    case 'deleteObject': return isBindingObject(a) ? 3 : 4
    case 'updateAwsAuth': case 'createAccessEntry': case 'deleteAccessEntry': return 5
    case 'deleteRole': return 6
    case 'deleteGroup': return 7
  }
}

// True for the writes that take access away or delete something.
export function isDestructive (a: Action): boolean {
  if (a.op === 'updateAwsAuth') return a.removed.length > 0
  if (a.op === 'replaceObject') return removedSubjects(a).length > 0
  return a.op.startsWith('delete')
}

export function addedSubjects (a: Extract<Action, { op: 'replaceObject' }>): string[] {
  const before = new Set(subjectNames(a.before))
  return subjectNames(a.object).filter((s) => !before.has(s))
}

export function removedSubjects (a: Extract<Action, { op: 'replaceObject' }>): string[] {
  const after = new Set(subjectNames(a.object))
  return subjectNames(a.before).filter((s) => !after.has(s))
}

function subjectNames (o: RbacObject): string[] {
  return (o.subjects ?? []).map((s) => s.kind === 'User' ? s.name : `${s.kind}:${s.namespace === undefined ? '' : `${s.namespace}/`}${s.name}`)
}

export function sortActions (actions: Action[]): Action[] {
  const key = (a: Action): string => {
    const where = 'cluster' in a ? a.cluster : ''
    const what = 'object' in a ? `${a.object.kind}/${a.object.metadata.namespace ?? ''}/${a.object.metadata.name ?? ''}` : 'group' in a ? a.group : 'role' in a ? a.role : 'principalArn' in a ? a.principalArn : ''
    return `${phaseOf(a)}\u0000${where}\u0000${what}\u0000${a.op}`
  }
  return [...actions].sort((x, y) => key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)
}
