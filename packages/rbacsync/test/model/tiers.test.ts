// The tiers' rules: admin everything; poweruser every discovered verb but RBAC writes
// and the escalation verbs; user read-only without secrets or proxies, plus exec.
import t from 'tap'
import { RESOURCES } from '../fixtures/fakes.ts'
import { RBAC_GROUP, clusterTierRules, tierRules, type ApiResource, type PolicyRule } from '../../src/model/tiers.ts'

const allows = (rules: PolicyRule[], group: string, resource: string, verb: string): boolean =>
  rules.some((r) => (r.apiGroups ?? []).some((g) => g === '*' || g === group) && (r.resources ?? []).some((x) => x === '*' || x === resource) && (r.verbs.includes('*') || r.verbs.includes(verb)))

t.test('admin: everything, RBAC included, and all non-resource URLs cluster-wide', async (t) => {
  t.same(tierRules('admin', RESOURCES, false), [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }])
  t.same(tierRules('admin', RESOURCES, true), [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])
})

t.test('poweruser: every discovered verb, CRDs included; RBAC read-only; never the escalation verbs', async (t) => {
  const rules = tierRules('poweruser', RESOURCES, false)
  t.ok(allows(rules, 'stable.example.com', 'crontabs', 'create'), 'a CRD group')
  t.ok(allows(rules, '', 'secrets', 'delete'))
  t.ok(allows(rules, '', 'pods/exec', 'create'))
  t.ok(allows(rules, 'rbac.authorization.k8s.io', 'roles', 'list'))
  for (const verb of ['create', 'delete', 'update', 'patch', 'escalate', 'bind']) {
    t.notOk(allows(rules, 'rbac.authorization.k8s.io', 'roles', verb), `no ${verb} on roles`)
    t.notOk(allows(rules, 'rbac.authorization.k8s.io', 'clusterroles', verb), `no ${verb} on clusterroles`)
  }
  for (const verb of ['escalate', 'bind', 'impersonate', 'approve', 'sign', '*']) t.notOk(rules.some((r) => r.verbs.includes(verb)), `${verb} never appears`)
  t.notOk(rules.some((r) => (r.apiGroups ?? []).includes('*') || (r.resources ?? []).includes('*')), 'no wildcards')
  t.same(rules.at(-1), { nonResourceURLs: ['*'], verbs: ['get'] })
})

t.test('poweruser in a namespace: namespaced resources only', async (t) => {
  const rules = tierRules('poweruser', RESOURCES, true)
  t.notOk(allows(rules, '', 'nodes', 'get'))
  t.ok(allows(rules, '', 'pods', 'delete'))
  t.notOk(rules.some((r) => r.nonResourceURLs !== undefined))
})

t.test('user: reads, but no secrets, no proxy; exec with get and create', async (t) => {
  const rules = tierRules('user', RESOURCES, false)
  t.ok(allows(rules, '', 'pods', 'list'))
  t.ok(allows(rules, '', 'pods/log', 'get'))
  t.ok(allows(rules, '', 'nodes', 'get'))
  t.ok(allows(rules, 'stable.example.com', 'crontabs', 'watch'))
  t.ok(allows(rules, '', 'pods/exec', 'get') && allows(rules, '', 'pods/exec', 'create'))
  t.notOk(allows(rules, '', 'secrets', 'get'))
  t.notOk(allows(rules, '', 'nodes/proxy', 'get'))
  t.notOk(allows(rules, '', 'pods', 'delete'))
  t.notOk(allows(rules, 'stable.example.com', 'crontabs', 'create'))
})

t.test('rules are compact and stable: one rule per group and verb set, sorted', async (t) => {
  const a = tierRules('user', RESOURCES, true)
  const b = tierRules('user', [...RESOURCES].reverse(), true)
  t.same(a, b)
  t.same(a.find((r) => r.apiGroups?.[0] === '' && r.verbs.join() === 'get,list,watch'), { apiGroups: [''], resources: ['pods', 'secrets'].filter((x) => x !== 'secrets'), verbs: ['get', 'list', 'watch'] })
  t.same(tierRules('user', [{ group: 'x', resource: 'only-create', namespaced: true, verbs: ['create'] }], true), [], 'a resource with no read verb gives no rule')
})

const IDENTITY: ApiResource[] = [
  ...RESOURCES,
  { group: '', resource: 'configmaps', namespaced: true, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
  { group: '', resource: 'serviceaccounts/token', namespaced: true, verbs: ['create'] },
  { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'] },
  { group: 'apiregistration.k8s.io', resource: 'apiservices', namespaced: false, verbs: ['create', 'get', 'list', 'update'] },
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', namespaced: false, verbs: ['create', 'get'] }
]

t.test('cluster poweruser: no namespaced write in its ClusterRole, webhooks and APIServices read-only; namespaced rights apart', async (t) => {
  const { cluster, perNamespace } = clusterTierRules('poweruser', IDENTITY)
  for (const [group, resource] of [['', 'configmaps'], ['', 'pods'], ['', 'serviceaccounts/token'], ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'], ['apiregistration.k8s.io', 'apiservices'], [RBAC_GROUP, 'clusterroles']] as const) {
    for (const verb of ['create', 'update', 'delete']) t.notOk(allows(cluster, group, resource, verb), `no ${verb} on ${group}/${resource} cluster-wide`)
  }
  t.notOk(allows(cluster, '', 'secrets', 'get'), 'no secret is read cluster-wide (kube-system holds service-account tokens)')
  t.notOk(allows(cluster, '', 'pods/exec', 'create'))
  t.ok(allows(cluster, '', 'configmaps', 'get'), 'reading stays cluster-wide')
  t.ok(allows(cluster, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'list'))
  t.ok(allows(cluster, '', 'nodes', 'delete'), 'cluster-scoped resources keep their verbs')
  t.ok(allows(cluster, 'apiextensions.k8s.io', 'customresourcedefinitions', 'create'))
  t.same(perNamespace, tierRules('poweruser', IDENTITY, true), 'in each namespace: the namespaced poweruser rules')
})

t.test('cluster user: reads in its ClusterRole, exec apart', async (t) => {
  const { cluster, perNamespace } = clusterTierRules('user', IDENTITY)
  t.notOk(allows(cluster, '', 'pods/exec', 'create'))
  t.ok(allows(cluster, '', 'pods', 'list'))
  t.ok(allows(cluster, '', 'nodes', 'get'))
  t.notOk(allows(cluster, '', 'secrets', 'get'))
  t.same(perNamespace, [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] }])
  t.same(clusterTierRules('user', IDENTITY), clusterTierRules('user', [...IDENTITY].reverse()), 'stable whatever the order of discovery')
})
