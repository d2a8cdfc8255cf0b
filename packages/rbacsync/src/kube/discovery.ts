// API discovery: every resource the cluster serves, with its verbs, CRDs included. Two
// calls with aggregated discovery (Kubernetes 1.27+); the per-group-version walk of
// older servers otherwise. A group version the server reports as stale (its
// aggregated API server is down), or whose list fails in the walk, makes discovery
// incomplete: DiscoveryIncomplete carries what was found and what was not, so that the
// run can hold back only what depends on it (the tiers' rules), not everything else.
import type { ApiResource } from '../model/tiers.ts'
import { check, type KubeRequest, type KubeTransport } from './http.ts'

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'

interface AggregatedList {
  kind?: string
  items?: Array<{
    metadata?: { name?: string }
    versions?: Array<{
      version?: string
      freshness?: string
      resources?: Array<{ resource?: string, scope?: string, verbs?: string[], subresources?: Array<{ subresource?: string, verbs?: string[] }> }>
    }>
  }>
}

interface ResourceList {
  resources?: Array<{ name?: string, namespaced?: boolean, verbs?: string[] }>
}

// Thrown when some group versions could not be discovered; `resources` is the rest.
export class DiscoveryIncomplete extends Error {
  readonly resources: ApiResource[]
  readonly missing: string[]
  constructor (resources: ApiResource[], missing: string[], reasons: string[]) {
    super(reasons.join('; '))
    this.name = 'DiscoveryIncomplete'
    this.resources = resources
    this.missing = missing
  }
}

export async function discover (http: KubeTransport): Promise<ApiResource[]> {
  const core = await get(http, '/api', 'discover /api', AGGREGATED)
  if ((core as AggregatedList | undefined)?.kind !== 'APIGroupDiscoveryList') return legacy(http, core)
  const groups = await get(http, '/apis', 'discover /apis', AGGREGATED) as AggregatedList
  if (groups?.kind !== 'APIGroupDiscoveryList') throw new Error('GET /apis: the server answered /api with aggregated discovery but not /apis')
  const gaps: Gaps = { missing: [], reasons: [] }
  return complete(dedupe([...fromAggregated(core as AggregatedList, gaps), ...fromAggregated(groups, gaps)]), gaps)
}

interface Gaps { missing: string[], reasons: string[] }

function complete (resources: ApiResource[], gaps: Gaps): ApiResource[] {
  if (gaps.missing.length > 0) throw new DiscoveryIncomplete(resources, gaps.missing, gaps.reasons)
  return resources
}

function fromAggregated (list: AggregatedList, gaps: Gaps): ApiResource[] {
  const out: ApiResource[] = []
  for (const item of list.items ?? []) {
    const group = item.metadata?.name ?? ''
    for (const v of item.versions ?? []) {
      if (v.freshness === 'Stale') {
        const gv = `${group === '' ? 'core' : group}/${v.version ?? '?'}`
        gaps.missing.push(gv)
        gaps.reasons.push(`discovery of ${gv} is stale: its API service is unavailable`)
        continue
      }
      for (const r of v.resources ?? []) {
        if (r.resource === undefined) continue
        const namespaced = r.scope === 'Namespaced'
        out.push({ group, resource: r.resource, namespaced, verbs: r.verbs ?? [] })
        for (const s of r.subresources ?? []) {
          if (s.subresource !== undefined) out.push({ group, resource: `${r.resource}/${s.subresource}`, namespaced, verbs: s.verbs ?? [] })
        }
      }
    }
  }
  return out
}

async function legacy (http: KubeTransport, core: unknown): Promise<ApiResource[]> {
  const out: ApiResource[] = []
  const coreVersions = (core as { versions?: string[] } | undefined)?.versions ?? ['v1']
  const groupVersions: Array<[string, string]> = coreVersions.map((v) => ['', `/api/${v}`])
  const apis = await get(http, '/apis', 'discover /apis') as { groups?: Array<{ name?: string, versions?: Array<{ groupVersion?: string }> }> }
  for (const g of apis?.groups ?? []) {
    for (const v of g.versions ?? []) if (v.groupVersion !== undefined) groupVersions.push([g.name ?? '', `/apis/${v.groupVersion}`])
  }
  const gaps: Gaps = { missing: [], reasons: [] }
  for (const [group, path] of groupVersions) {
    let list: ResourceList
    try {
      list = await get(http, path, 'discover group version') as ResourceList
    } catch (err) {
      gaps.missing.push(group === '' ? `core/${path.slice('/api/'.length)}` : path.slice('/apis/'.length))
      gaps.reasons.push((err as Error).message)
      continue
    }
    for (const r of list?.resources ?? []) {
      if (r.name !== undefined) out.push({ group, resource: r.name, namespaced: r.namespaced === true, verbs: r.verbs ?? [] })
    }
  }
  return complete(dedupe(out), gaps)
}

// A resource served in several versions is one resource; its verbs are the union.
function dedupe (resources: ApiResource[]): ApiResource[] {
  const byKey = new Map<string, ApiResource>()
  for (const r of resources) {
    const key = `${r.group}/${r.resource}`
    const seen = byKey.get(key)
    if (seen === undefined) byKey.set(key, { ...r, verbs: [...r.verbs] })
    else seen.verbs = [...new Set([...seen.verbs, ...r.verbs])]
  }
  return [...byKey.values()].sort((a, b) => `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`))
}

async function get (http: KubeTransport, path: string, api: string, accept?: string): Promise<unknown> {
  const req: KubeRequest = { method: 'GET', path, api, ...(accept !== undefined ? { accept } : {}) }
  return check(req, await http(req))
}
