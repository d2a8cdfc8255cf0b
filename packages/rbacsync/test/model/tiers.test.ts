// The tiers' rules: admin everything; poweruser every discovered verb but RBAC writes
// and the escalation verbs; user read-only without secrets or proxies, plus exec.
import t from 'tap'
import { RESOURCES } from '../fixtures/fakes.ts'
import { tierRules, type PolicyRule } from '../../src/model/tiers.ts'

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
