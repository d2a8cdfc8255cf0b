// The clusters the kubeconfig gets a context for: those the config lists, with their
// endpoint and CA looked up (DescribeCluster) when the list leaves them out, then every
// cluster ListClusters finds in toolbox.kubeconfig.discover.regions that the list does
// not already name (the discovery module rbacsync shares). Any failed EKS call fails the whole run, so that a kubeconfig is
// never rewritten without clusters that merely could not be read this time.
import type { Cluster } from '@bastion/config'
import { discoverClusters, type EksApi } from './eks.ts'
import { kubeconfigError } from './errors.ts'

export interface ResolvedCluster {
  name: string
  region: string
  endpoint: string
  certificateAuthority: string // base64 of the PEM, without whitespace
  source: 'config' | 'described' | 'discovered'
}

export interface Resolution {
  clusters: ResolvedCluster[]
  notes: string[] // what the operator should know: clusters skipped, and why
}

export async function resolveClusters (listed: readonly Cluster[], discoverRegions: readonly string[], eks: EksApi): Promise<Resolution> {
  const clusters: ResolvedCluster[] = []
  const notes: string[] = []
  for (const c of listed) {
    if (c.endpoint !== undefined && c.certificateAuthority !== undefined) {
      clusters.push({ name: c.name, region: c.region, endpoint: c.endpoint, certificateAuthority: configuredCa(c.certificateAuthority, c.name), source: 'config' })
      continue
    }
    const d = await call(() => eks.describeCluster(c.region, c.name), `DescribeCluster ${c.name} in ${c.region}`)
    if (d.endpoint === undefined || d.certificateAuthority === undefined) {
      throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_EKS_FAILED', `cluster ${c.name} in ${c.region} has no endpoint or CA yet (status ${d.status ?? 'unknown'}); give clusters[].endpoint and certificateAuthority, or wait until it is ACTIVE`)
    }
    clusters.push({ name: c.name, region: c.region, endpoint: d.endpoint, certificateAuthority: d.certificateAuthority.replace(/\s+/g, ''), source: 'described' })
  }
  const found = await discoverClusters(clusters, discoverRegions, eks)
  const failed = found.failures[0]
  if (failed !== undefined) throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_EKS_FAILED', `ListClusters in ${failed.region} failed: ${(failed.error as Error).message}`, failed.error)
  const conflict = found.conflicts[0]
  if (conflict !== undefined) {
    throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT', `cluster ${conflict.name} is in ${conflict.regions[0]} and ${conflict.regions[1]}: one context name cannot serve both; list the one you mean in clusters and drop ${conflict.regions[1]} from toolbox.kubeconfig.discover.regions`)
  }
  for (const { name, region } of found.clusters) {
    const d = await call(() => eks.describeCluster(region, name), `DescribeCluster ${name} in ${region}`)
    if (d.endpoint === undefined || d.certificateAuthority === undefined) {
      notes.push(`skipped cluster ${name} in ${region}: no endpoint or CA yet (status ${d.status ?? 'unknown'})`)
      continue
    }
    clusters.push({ name, region, endpoint: d.endpoint, certificateAuthority: d.certificateAuthority.replace(/\s+/g, ''), source: 'discovered' })
  }
  return { clusters, notes }
}

async function call<T> (fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_EKS_FAILED', `${what} failed: ${(err as Error).message}`, err)
  }
}

// A CA typed into the config, as kubeconfig's certificate-authority-data wants it: base64
// of a PEM certificate (a PEM pasted as it is, or a path, is caught here). What EKS
// itself answers is taken as it comes.
function configuredCa (b64: string, cluster: string): string {
  const data = b64.replace(/\s+/g, '')
  if (!Buffer.from(data, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
    throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID', `the certificate authority of cluster ${cluster} is not base64 of a PEM certificate`)
  }
  return data
}
