// Applying a plan: the aws-auth concurrent-edit retry, phases and dependencies, and how
// failures become problems.
import t from 'tap'
import { world } from '../fixtures/world.ts'
import { KubeApiError } from '../../src/kube/http.ts'
import { describeAction } from '../../src/reconcile/apply.ts'
import { ownedMeta } from '../../src/model/marks.ts'

t.test('aws-auth edited concurrently: re-read, our entries merged into the other writer\'s, nothing of theirs lost', async (t) => {
  const w = world()
  w.kube.setConfigMap({ metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: '- rolearn: arn:aws:iam::123456789012:role/nodes\n  username: node\n' } })
  w.iam.addGroup('k8s-user@hyades', ['johnsmith'])
  let edits = 0
  w.kube.beforeConfigMapWrite = () => {
    if (edits++ > 0) return
    const cm = w.kube.configMaps.get('kube-system/aws-auth')!
    w.kube.setConfigMap({ ...cm, data: { mapRoles: `${cm.data!.mapRoles!}- rolearn: arn:aws:iam::123456789012:role/ci\n  username: ci\n` } })
  }
  const r = await w.sync()
  t.ok(r.ok)
  t.equal(w.kube.calls.filter((c) => c === 'writeConfigMap').length, 2, 'one conflict, one retry')
  t.equal(w.kube.calls.filter((c) => c === 'getConfigMap').length, 2, 'read in observe, read again after the conflict')
  t.equal(w.kube.configMaps.get('kube-system/aws-auth')!.data!.mapRoles,
    '- rolearn: arn:aws:iam::123456789012:role/nodes\n  username: node\n- rolearn: arn:aws:iam::123456789012:role/ci\n  username: ci\n- rolearn: arn:aws:iam::123456789012:role/johnsmith\n  username: johnsmith\n')
})

t.test('aws-auth that keeps changing: retries run out, reported, and the role of a leaver stays', async (t) => {
  const w = world({ extra: '  kubernetes: {conflictRetries: 2}\n' })
  w.iam.addGroup('k8s-user@hyades', ['johnsmith'])
  await w.sync()
  w.iam.groups.get('k8s-user@hyades')!.members.clear()
  w.kube.beforeConfigMapWrite = () => {
    const cm = w.kube.configMaps.get('kube-system/aws-auth')!
    w.kube.setConfigMap(cm)
  }
  const r = await w.sync()
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_AWS_AUTH_CONFLICT', message: /update aws-auth on hyades: .*changed under us 3 times; retries exhausted/ }])
  t.ok(w.iam.roles.has('johnsmith'), 'not deleted while still mapped')
})

t.test('a write refused by the API server is reported with its message; other writes go on', async (t) => {
  const w = world()
  w.kube.failures.set('create ClusterRole', new KubeApiError({ method: 'POST', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', api: 'create clusterroles' }, 403, 'Forbidden', 'attempt to grant extra privileges'))
  const r = await w.sync()
  t.notOk(r.ok)
  t.equal(r.problems.length, 5, 'each tier\'s ClusterRole, and the namespaced ClusterRoles of poweruser and user')
  t.match(r.problems[0], { code: 'BASTION_RBACSYNC_WRITE_FAILED', subject: 'hyades', message: /create ClusterRole k8s-admin@hyades on hyades: .*403 attempt to grant extra privileges/ })
  t.ok(w.kube.get('ClusterRoleBinding', 'k8s-admin@hyades'), 'bindings are still written')
})

t.test('an object changed between read and write is not overwritten', async (t) => {
  const w = world()
  await w.sync()
  const crb = w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')!
  crb.subjects = [{ kind: 'User', name: 'x' }]
  const original = w.kube.replace.bind(w.kube)
  w.kube.replace = async (o) => {
    w.kube.put(w.kube.get(o.kind, o.metadata.name!, o.metadata.namespace)!) // someone else's write: a new resourceVersion
    return original(o)
  }
  const r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_WRITE_FAILED', message: /409 the object has been modified/ }])
})

t.test('describeAction names every kind of action', async (t) => {
  const object = { kind: 'Role' as const, metadata: ownedMeta('k8s-user@h@n', 'n') }
  const intent = { desired: new Map(), keep: new Set<string>(), prune: true }
  t.same([
    describeAction({ op: 'createGroup', group: 'g' }),
    describeAction({ op: 'deleteGroup', group: 'g' }),
    describeAction({ op: 'createRole', role: 'r', user: 'r' }),
    describeAction({ op: 'updateTrust', role: 'r', user: 'r' }),
    describeAction({ op: 'updateMaxSession', role: 'r', seconds: 7200 }),
    describeAction({ op: 'deleteRole', role: 'r', user: 'r' }),
    describeAction({ op: 'createObject', cluster: 'c', object }),
    describeAction({ op: 'replaceObject', cluster: 'c', object, before: object }),
    describeAction({ op: 'deleteObject', cluster: 'c', object: { kind: 'ClusterRole', metadata: { name: 'x' } } }),
    describeAction({ op: 'updateAwsAuth', cluster: 'c', intent, added: [], updated: [], removed: [] }),
    describeAction({ op: 'createAccessEntry', cluster: 'c', principalArn: 'a', user: 'u' }),
    describeAction({ op: 'deleteAccessEntry', cluster: 'c', principalArn: 'a', user: 'u' })
  ], [
    'create IAM group g', 'delete IAM group g', 'create IAM role r', 'update the trust policy of IAM role r',
    'set MaxSessionDuration of IAM role r to 7200', 'delete IAM role r', 'create Role n/k8s-user@h@n on c',
    'update Role n/k8s-user@h@n on c', 'delete ClusterRole x on c', 'update aws-auth on c',
    'create access entry for a on c', 'delete access entry for a on c'
  ])
})

t.test('an aws-auth write refused for another reason than a conflict is not retried', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-user@hyades', ['johnsmith'])
  w.kube.failures.set('writeConfigMap', new KubeApiError({ method: 'POST', path: '/api/v1/namespaces/kube-system/configmaps', api: 'create configmaps' }, 403, 'Forbidden', 'configmaps is forbidden'))
  const r = await w.sync()
  t.equal(w.kube.calls.filter((c) => c === 'writeConfigMap').length, 1)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_WRITE_FAILED', message: /update aws-auth on hyades: .*403 configmaps is forbidden/ }])
})

t.test('a user whose role could not be created is neither mapped nor bound', async (t) => {
  const w = world()
  w.iam.addGroup('k8s-user@hyades', ['alice', 'altair'])
  w.iam.foreignNames.add('altair')
  let r = await w.sync()
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_FOREIGN_CONFLICT', message: /create IAM role altair: .*already exists/ }])
  t.same(w.kube.get('ClusterRoleBinding', 'k8s-user@hyades')?.subjects?.map((s) => s.name), ['alice'])
  w.kube.calls = []
  r = await w.sync()
  t.same(w.kube.writes(), [], 'the next run sees the same conflict and writes nothing to the cluster')
  t.ok(r.results.some((x) => x.action.op === 'replaceObject' && x.ok), 'the planned update turned into nothing')
})
