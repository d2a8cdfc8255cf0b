// What each tier may do, as RBAC rules. RBAC has no deny, so "everything except RBAC"
// is an allow-list: the verbs API discovery reports for every resource the cluster
// serves (CRDs' groups included), recomputed on every run.
//   admin      everything, RBAC included
//   poweruser  every discovered verb on every resource, but only get/list/watch in
//              rbac.authorization.k8s.io, and never escalate/bind/impersonate/approve/sign
//              (a guard against accidents, not a security boundary: see docs/rbacsync/tiers.md)
//   user       get/list/watch on everything but secrets and the proxy subresources,
//              plus exec into pods (get and create on pods/exec)
import type { Tier } from './names.ts'

// One resource (or subresource, "pods/exec") as API discovery reports it.
export interface ApiResource {
  group: string
  resource: string
  namespaced: boolean
  verbs: string[]
}

export interface PolicyRule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
  nonResourceURLs?: string[]
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io'
// Verbs that lift a subject above its own rights. Discovery never lists them; the
// filter below is the second line.
export const NEVER_GRANTED = ['escalate', 'bind', 'impersonate', 'approve', 'sign'] as const
const READ = ['get', 'list', 'watch']
// Subresources a reader may get: the rest (exec, attach, portforward, proxy, token,
// eviction, ...) act on the workload rather than describe it.
const READABLE_SUBRESOURCES = new Set(['status', 'log', 'scale'])
const USER_NEVER = new Set(['/secrets'])
const EXEC = { group: '', resource: 'pods/exec', verbs: ['create', 'get'] }

const ALL: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }

// The rules of a tier's ClusterRole (namespaced false) or of its Role in a namespace.
export function tierRules (tier: Tier, resources: readonly ApiResource[], namespaced: boolean): PolicyRule[] {
  const scoped = resources.filter((r) => !namespaced || r.namespaced)
  if (tier === 'admin') return namespaced ? [ALL] : [ALL, { nonResourceURLs: ['*'], verbs: ['*'] }]
  if (tier === 'poweruser') {
    const rules = compact(scoped.map((r) => ({ ...r, verbs: r.group === RBAC_GROUP ? r.verbs.filter((v) => READ.includes(v)) : r.verbs })))
    return namespaced ? rules : [...rules, { nonResourceURLs: ['*'], verbs: ['get'] }]
  }
  const readable = scoped.filter((r) => {
    const [base, sub] = r.resource.split('/')
    return !USER_NEVER.has(`${r.group}/${base}`) && (sub === undefined || READABLE_SUBRESOURCES.has(sub))
  })
  const hasPods = scoped.some((r) => r.group === '' && r.resource === 'pods')
  return compact([...readable.map((r) => ({ ...r, verbs: r.verbs.filter((v) => READ.includes(v)) })), ...(hasPods ? [EXEC] : [])])
}

// Where the cluster tiers' rights may not reach: RBAC has no deny, so a ClusterRole
// cannot say "everywhere but kube-system".
export const PROTECTED_NAMESPACE = 'kube-system'
// API groups whose objects grant identity or rights, or see and change every request:
// read-only below admin.
export const IDENTITY_GROUPS = new Set([RBAC_GROUP, 'admissionregistration.k8s.io', 'apiregistration.k8s.io'])

// A cluster tier below admin, split so that it cannot climb (aws-auth, the service
// accounts and pods of kube-system, webhooks, APIServices, RBAC):
//   cluster       the ClusterRole: cluster-scoped resources (poweruser: every verb but
//                 writes in IDENTITY_GROUPS; user: read), plus reading every namespaced
//                 resource the user tier may read (never secrets), in every namespace;
//   perNamespace  a ClusterRole bound by a RoleBinding in each namespace but
//                 kube-system: the tier's namespaced rights (poweruser: all of them;
//                 user: exec into pods).
export function clusterTierRules (tier: Exclude<Tier, 'admin'>, resources: readonly ApiResource[]): { cluster: PolicyRule[], perNamespace: PolicyRule[] } {
  const clusterScoped = resources.filter((r) => !r.namespaced)
  const namespacedReads = tierRules('user', resources.filter((r) => r.namespaced), true).filter((r) => !r.resources?.includes('pods/exec'))
  if (tier === 'user') {
    return { cluster: merge([...tierRules('user', clusterScoped, false), ...namespacedReads]), perNamespace: tierRules('user', resources, true).filter((r) => r.resources?.includes('pods/exec')) }
  }
  const cluster = compact(clusterScoped.map((r) => ({ ...r, verbs: IDENTITY_GROUPS.has(r.group) ? r.verbs.filter((v) => READ.includes(v)) : r.verbs })))
  return { cluster: merge([...cluster, ...namespacedReads, { nonResourceURLs: ['*'], verbs: ['get'] }]), perNamespace: tierRules('poweruser', resources, true) }
}

// Rules of two compacted lists as one stable list: resource rules first, sorted by
// group and verbs, then the non-resource rules.
function merge (rules: PolicyRule[]): PolicyRule[] {
  const resourceRules = rules.filter((r) => r.nonResourceURLs === undefined)
  const entries = resourceRules.flatMap((r) => (r.resources ?? []).map((resource) => ({ group: r.apiGroups?.[0] ?? '', resource, verbs: r.verbs })))
  return [...compact(entries), ...rules.filter((r) => r.nonResourceURLs !== undefined)]
}

// One rule per (group, verb set), resources and verbs sorted: a stable shape, so that
// an unchanged cluster yields byte-identical rules and a converged run writes nothing.
function compact (entries: ReadonlyArray<Pick<ApiResource, 'group' | 'resource' | 'verbs'>>): PolicyRule[] {
  const byKey = new Map<string, { group: string, verbs: string[], resources: Set<string> }>()
  const verbsOf = new Map<string, Set<string>>()
  for (const e of entries) {
    const key = `${e.group}\u0000${e.resource}`
    const set = verbsOf.get(key) ?? new Set<string>()
    for (const v of e.verbs) if (!(NEVER_GRANTED as readonly string[]).includes(v)) set.add(v)
    verbsOf.set(key, set)
  }
  for (const [key, set] of verbsOf) {
    if (set.size === 0) continue
    const [group, resource] = key.split('\u0000') as [string, string]
    const verbs = [...set].sort()
    const k = `${group}\u0000${verbs.join(',')}`
    const slot = byKey.get(k) ?? { group, verbs, resources: new Set<string>() }
    slot.resources.add(resource)
    byKey.set(k, slot)
  }
  return [...byKey.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([, s]) => ({ apiGroups: [s.group], resources: [...s.resources].sort(), verbs: s.verbs }))
}
