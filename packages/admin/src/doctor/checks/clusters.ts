// Clusters reachable: each cluster's API endpoint answers /version over TLS, trusting
// only the cluster's own CA. Any HTTP answer counts (401 or 403 is an API server that is
// up); a refused, timed-out or untrusted connection is a problem. Clusters the config
// lists with endpoint and CA are checked as listed; the others, and those discovery
// finds, are looked up through EKS the way `bastion kubeconfig write` does.
import type { Cluster } from '@bastion/config'
import { resolveClusters } from '../../kubeconfig/clusters.ts'
import { ok, problems, type Check, type Problem } from '../check.ts'
import type { Probe } from '../probe.ts'

const TIMEOUT_MS = 5000
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/

interface Target { name: string, endpoint: string, certificateAuthority: string, where: string | undefined }

// `where` is the config key of a listed cluster; undefined for one EKS described.
export async function clusterProblem (probe: Probe, c: Target): Promise<Problem | undefined> {
  const url = `${c.endpoint.replace(/\/+$/, '')}/version`
  const describe = `\`aws eks describe-cluster --name ${c.name}\``
  const ca = Buffer.from(c.certificateAuthority.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    return { problem: `cluster ${c.name}: ${c.where ?? 'EKS'}.certificateAuthority is not the base64 of a PEM certificate`, fix: `set it to certificateAuthority.data of ${describe}` }
  }
  const answer = await probe.get(url, { timeoutMs: TIMEOUT_MS, ca })
  if ('status' in answer) return undefined
  const code = answer.code ?? ''
  if (TLS_CODES.test(code)) {
    return {
      problem: `cluster ${c.name}: ${c.endpoint} presents a certificate its configured CA does not vouch for (${code})`,
      fix: c.where === undefined ? `compare ${describe} with what answers at ${c.endpoint} (a proxy in between?)` : `update ${c.where}.certificateAuthority from ${describe}`
    }
  }
  return {
    problem: `cluster ${c.name}: ${c.endpoint} does not answer (${code === '' ? answer.error : code})`,
    fix: `check ${c.where === undefined ? 'the endpoint EKS gives' : `${c.where}.endpoint`}, this host's route to it and the cluster's endpoint access (public/private, security groups)`
  }
}

const complete = (c: Cluster): c is Cluster & { endpoint: string, certificateAuthority: string } => c.endpoint !== undefined && c.certificateAuthority !== undefined

export const clustersCheck: Check = {
  name: 'clusters',
  summary: "each cluster's API endpoint answers over TLS with its CA",
  async run (ctx) {
    const listed = ctx.config.clusters
    const regions = ctx.config.shell.toolbox.kubeconfig.discover.regions
    const targets: Target[] = listed.flatMap((c, i) => complete(c) ? [{ name: c.name, endpoint: c.endpoint, certificateAuthority: c.certificateAuthority, where: `clusters.${i}` }] : [])
    const found: Problem[] = []
    const lookup = listed.filter((c) => !complete(c))
    if (lookup.length > 0 || regions.length > 0) {
      try {
        const { clusters } = await resolveClusters(lookup, regions, ctx.eks)
        for (const c of clusters) if (!targets.some((t) => t.name === c.name)) targets.push({ ...c, where: undefined })
      } catch (err) {
        found.push({ problem: `the clusters to look up through EKS cannot be read: ${(err as Error).message}`, fix: 'the host needs eks:DescribeCluster and eks:ListClusters; or list endpoint and certificateAuthority in clusters' })
      }
    }
    if (targets.length === 0 && found.length === 0) return ok('no clusters are configured')
    for (const t of targets) {
      const p = await clusterProblem(ctx.probe, t)
      if (p !== undefined) found.push(p)
    }
    return found.length === 0 ? ok(`${targets.length} cluster(s) answer over TLS: ${targets.map((t) => t.name).join(', ')}`) : problems(found)
  }
}
