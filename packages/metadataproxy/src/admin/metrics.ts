// Prometheus metrics, in a registry of their own per app instance (no global registry).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  registry: Registry
  requests: Counter<'route' | 'status'>
  // The hot path's counter: a plain map increment, copied into `requests` at scrape time.
  countRequest (route: string, status: number): void
  assumeRole: Counter<'outcome'>
  assumeRoleSeconds: Histogram<'outcome'>
}

export function createMetrics (gauges: { containers: () => number; indexReady: () => boolean; cacheEntries: () => number; iptablesOk: () => boolean; iptablesRepairs?: () => number }): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const counts = new Map<string, { route: string, status: string, n: number }>()
  const requests = new Counter({
    name: 'bastion_imds_requests_total',
    help: 'IMDS requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const c of counts.values()) this.inc({ route: c.route, status: c.status }, c.n)
    }
  })
  const countRequest = (route: string, status: number): void => {
    const key = `${route} ${status}`
    const c = counts.get(key)
    if (c !== undefined) c.n++
    else counts.set(key, { route, status: String(status), n: 1 })
  }
  const assumeRole = new Counter({ name: 'bastion_sts_assume_role_total', help: 'STS AssumeRole calls by outcome', labelNames: ['outcome'] as const, registers: [registry] })
  const assumeRoleSeconds = new Histogram({ name: 'bastion_sts_assume_role_seconds', help: 'STS AssumeRole latency', labelNames: ['outcome'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] })
  new Gauge({ name: 'bastion_index_containers', help: 'Managed containers in the index', registers: [registry], collect () { this.set(gauges.containers()) } })
  new Gauge({ name: 'bastion_index_ready', help: '1 when the container index follows Docker events', registers: [registry], collect () { this.set(gauges.indexReady() ? 1 : 0) } })
  new Gauge({ name: 'bastion_credential_cache_entries', help: 'Cached role sessions', registers: [registry], collect () { this.set(gauges.cacheEntries()) } })
  new Counter({ name: 'bastion_iptables_repairs_total', help: 'Checks that found the fail-closed iptables rules drifted and repaired them', registers: [registry], collect () { this.reset(); this.inc(gauges.iptablesRepairs?.() ?? 0) } })
  new Gauge({ name: 'bastion_iptables_ok', help: '1 when the fail-closed iptables rules are in place', registers: [registry], collect () { this.set(gauges.iptablesOk() ? 1 : 0) } })
  return { registry, requests, countRequest, assumeRole, assumeRoleSeconds }
}
