// Clusters reachable: each configured cluster's API endpoint answers /version over TLS,
// trusting only the cluster's own CA. Any HTTP answer counts (401 or 403 is an API server
// that is up); a refused, timed-out or untrusted connection is a problem.
import type { Cluster } from '@bastion/config'
import { ok, problems, type Check, type Problem } from '../check.ts'
import type { Probe } from '../probe.ts'

const TIMEOUT_MS = 5000
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/

export async function clusterProblem (probe: Probe, c: Cluster & { endpoint: string, certificateAuthority: string }, where: string): Promise<Problem | undefined> {
  const url = `${c.endpoint.replace(/\/+$/, '')}/version`
  const ca = Buffer.from(c.certificateAuthority.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    return { problem: `cluster ${c.name}: ${where}.certificateAuthority is not the base64 of a PEM certificate`, fix: `set it to certificateAuthority.data of \`aws eks describe-cluster --name ${c.name}\`` }
  }
  const answer = await probe.get(url, { timeoutMs: TIMEOUT_MS, ca })
  if ('status' in answer) return undefined
  const code = answer.code ?? ''
  if (TLS_CODES.test(code)) {
    return { problem: `cluster ${c.name}: ${c.endpoint} presents a certificate its configured CA does not vouch for (${code})`, fix: `update ${where}.certificateAuthority from \`aws eks describe-cluster --name ${c.name}\`` }
  }
  return { problem: `cluster ${c.name}: ${c.endpoint} does not answer (${code === '' ? answer.error : code})`, fix: `check ${where}.endpoint, this host's route to it and the cluster's endpoint access (public/private, security groups)` }
}

export const clustersCheck: Check = {
  name: 'clusters',
  summary: "each configured cluster's API endpoint answers over TLS with its CA",
  async run (ctx) {
    const clusters = ctx.config.clusters
    if (clusters.length === 0) return ok('no clusters are configured')
    const found: Problem[] = []
    let checked = 0
    for (const [i, c] of clusters.entries()) {
      if (c.endpoint === undefined || c.certificateAuthority === undefined) {
        found.push({ problem: `cluster ${c.name}: clusters.${i} has no endpoint and CA to check`, fix: 'add endpoint and certificateAuthority (from `aws eks describe-cluster`)' })
        continue
      }
      checked++
      const p = await clusterProblem(ctx.probe, { ...c, endpoint: c.endpoint, certificateAuthority: c.certificateAuthority }, `clusters.${i}`)
      if (p !== undefined) found.push(p)
    }
    return found.length === 0 ? ok(`${checked} cluster(s) answer over TLS: ${clusters.map((c) => c.name).join(', ')}`) : problems(found)
  }
}
