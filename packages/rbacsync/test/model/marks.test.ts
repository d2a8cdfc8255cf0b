// What marks an object as ours, and for which cluster.
import t from 'tap'
import { isOwned, ownedGrant, ownedMeta } from '../../src/model/marks.ts'

t.test('ownedMeta carries the label and the group annotation', async (t) => {
  t.same(ownedMeta('k8s-user@h@n', 'n'), { name: 'k8s-user@h@n', namespace: 'n', labels: { 'app.kubernetes.io/managed-by': 'bastion-rbacsync' }, annotations: { 'bastion/iam-group': 'k8s-user@h@n' } })
  t.notOk('namespace' in ownedMeta('k8s-user@h'))
})

t.test('ownership needs our label; the grant needs an annotation naming a group of this cluster', async (t) => {
  t.ok(isOwned(ownedMeta('x')))
  t.notOk(isOwned({ labels: { 'app.kubernetes.io/managed-by': 'helm' } }))
  t.notOk(isOwned(undefined))
  t.same(ownedGrant(ownedMeta('k8s-user@h@n', 'n'), 'h'), { tier: 'user', cluster: 'h', namespace: 'n' })
  t.equal(ownedGrant(ownedMeta('k8s-user@other'), 'h'), undefined)
  t.equal(ownedGrant({ labels: ownedMeta('x').labels! }, 'h'), undefined)
  t.equal(ownedGrant({ name: 'k8s-user@h', annotations: { 'bastion/iam-group': 'k8s-user@h' } }, 'h'), undefined)
})
