// Phases, destructiveness and order of actions.
import t from 'tap'
import { addedSubjects, isDestructive, phaseOf, removedSubjects, sortActions, type Action } from '../../src/reconcile/actions.ts'
import { ownedMeta } from '../../src/model/marks.ts'

const role = { kind: 'ClusterRole' as const, metadata: ownedMeta('k8s-user@h') }
const binding = (names: string[]) => ({ kind: 'ClusterRoleBinding' as const, metadata: ownedMeta('k8s-user@h'), subjects: names.map((name) => ({ kind: 'User', name })) })
const intent = { desired: new Map(), keep: new Set<string>(), prune: true }

t.test('phases: IAM, roles, bindings, role deletions, mapping, role deletion in IAM, groups', async (t) => {
  const cases: Array<[Action, number]> = [
    [{ op: 'createGroup', group: 'g' }, 1], [{ op: 'createRole', role: 'r', user: 'r' }, 1], [{ op: 'updateTrust', role: 'r', user: 'r' }, 1], [{ op: 'updateMaxSession', role: 'r', seconds: 1 }, 1],
    [{ op: 'createObject', cluster: 'c', object: role }, 2], [{ op: 'replaceObject', cluster: 'c', object: role, before: role }, 2],
    [{ op: 'createObject', cluster: 'c', object: binding([]) }, 3], [{ op: 'deleteObject', cluster: 'c', object: binding([]) }, 3],
    [{ op: 'deleteObject', cluster: 'c', object: role }, 4],
    [{ op: 'updateAwsAuth', cluster: 'c', intent, added: [], updated: [], removed: [] }, 5], [{ op: 'createAccessEntry', cluster: 'c', principalArn: 'a', user: 'u' }, 5], [{ op: 'deleteAccessEntry', cluster: 'c', principalArn: 'a', user: 'u' }, 5],
    [{ op: 'deleteRole', role: 'r', user: 'r' }, 6], [{ op: 'deleteGroup', group: 'g' }, 7]
  ]
  for (const [a, p] of cases) t.equal(phaseOf(a), p, a.op)
})

t.test('destructive: deletions, subjects removed, aws-auth entries removed', async (t) => {
  t.ok(isDestructive({ op: 'deleteGroup', group: 'g' }))
  t.notOk(isDestructive({ op: 'createGroup', group: 'g' }))
  const replace = { op: 'replaceObject' as const, cluster: 'c', object: binding(['a', 'c']), before: binding(['a', 'b']) }
  t.ok(isDestructive(replace))
  t.same(addedSubjects(replace), ['c'])
  t.same(removedSubjects(replace), ['b'])
  t.notOk(isDestructive({ ...replace, object: binding(['a', 'b', 'c']) }))
  t.ok(isDestructive({ op: 'updateAwsAuth', cluster: 'c', intent, added: [], updated: [], removed: ['x'] }))
  t.notOk(isDestructive({ op: 'updateAwsAuth', cluster: 'c', intent, added: ['x'], updated: [], removed: [] }))
  const sa = { op: 'replaceObject' as const, cluster: 'c', object: binding([]), before: { ...binding([]), subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'ci' }, { kind: 'Group', name: 'devs' }] } }
  t.same(removedSubjects(sa), ['ServiceAccount:ci/bot', 'Group:devs'])
})

t.test('sorted by phase, then cluster, then name', async (t) => {
  const sorted = sortActions([
    { op: 'deleteGroup', group: 'a' },
    { op: 'createObject', cluster: 'b', object: role },
    { op: 'createObject', cluster: 'a', object: role },
    { op: 'createAccessEntry', cluster: 'a', principalArn: 'z', user: 'z' },
    { op: 'createAccessEntry', cluster: 'a', principalArn: 'y', user: 'y' },
    { op: 'createGroup', group: 'b' },
    { op: 'createGroup', group: 'a' },
    { op: 'updateAwsAuth', cluster: 'a', intent, added: [], updated: [], removed: [] }
  ])
  t.same(sorted.map((a) => `${a.op}:${'cluster' in a ? a.cluster : ''}:${'group' in a ? a.group : 'principalArn' in a ? a.principalArn : ''}`), [
    'createGroup::a', 'createGroup::b', 'createObject:a:', 'createObject:b:', 'updateAwsAuth:a:', 'createAccessEntry:a:y', 'createAccessEntry:a:z', 'deleteGroup::a'
  ])
})
