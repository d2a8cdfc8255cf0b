// Namespace selection and the group-name limit per scope.
import t from 'tap'
import { clusterScopes, globMatch, selectedNamespaces } from '../../src/reconcile/scopes.ts'

t.test('globs: * matches anything, everything else literally', async (t) => {
  t.ok(globMatch('*', 'x'))
  t.ok(globMatch('team-*', 'team-a'))
  t.notOk(globMatch('team-*', 'teams'))
  t.ok(globMatch('a.b', 'a.b'))
  t.notOk(globMatch('a.b', 'axb'))
})

t.test('included minus excluded', async (t) => {
  t.same(selectedNamespaces({ includeNamespaces: ['*'], excludeNamespaces: ['kube-*'] }, ['default', 'kube-system', 'taurus']), ['default', 'taurus'])
  t.same(selectedNamespaces({ includeNamespaces: ['t*', 'default'], excludeNamespaces: ['tx'] }, ['default', 'taurus', 'tx', 'other']), ['default', 'taurus'])
})

t.test('kube-system is never a namespace scope, even when included and not excluded', async (t) => {
  t.same(selectedNamespaces({ includeNamespaces: ['*', 'kube-system'], excludeNamespaces: [] }, ['default', 'kube-system', 'kube-public']), ['default', 'kube-public'])
})

t.test('the cluster scope first, then each namespace; too-long names reported per scope', async (t) => {
  t.same(clusterScopes('h', ['a', 'b']), { scopes: [{ cluster: 'h' }, { cluster: 'h', namespace: 'a' }, { cluster: 'h', namespace: 'b' }], problems: [] })
  const long = 'c'.repeat(114) // k8s-poweruser@ + 114 = 128: fits; any namespace makes it longer
  const r = clusterScopes(long, ['n'])
  t.same(r.scopes, [{ cluster: long }])
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_GROUP_NAME_TOO_LONG', subject: 'n', message: /namespace n of cluster c+ gets no tiers: the group name k8s-poweruser@c+@n has 130 characters/ }])
  t.match(clusterScopes('d'.repeat(115), []).problems, [{ subject: 'd'.repeat(115) }])
})
