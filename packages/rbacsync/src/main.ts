// Wires the real adapters from the config: the IAM and EKS clients (SDK v3, adaptive
// retries, every call counted) and one source per configured cluster. The CLI and the
// Lambda handler both run through here.
import type { Logger } from 'pino'
import type { EKSClient } from '@aws-sdk/client-eks'
import type { RbacsyncConfig } from './config/schema.ts'
import { iamApi, iamClient } from './iam/iam-api.ts'
import { kubeApi } from './kube/api.ts'
import { kubeConfigFor } from './kube/connect.ts'
import { kubeTransport } from './kube/http.ts'
import { accessEntriesApi, eksClient } from './mapping/access-entries.ts'
import { createMeter, type Meter } from './reconcile/meter.ts'
import type { ClusterSource } from './reconcile/observe.ts'
import { clusterSettings, runSync, type SyncReport } from './sync.ts'

export async function syncOnce (config: Readonly<RbacsyncConfig>, log: Logger, options: { dryRun: boolean, meter?: Meter }): Promise<SyncReport> {
  const r = config.rbacsync
  const meter = options.meter ?? createMeter()
  const aws = { maxAttempts: r.iam.maxAttempts, timeoutMs: r.iam.timeoutMs }
  const iamSdk = iamClient({ ...aws, region: config.aws.region, ...(r.endpoints.iam !== undefined ? { endpoint: r.endpoints.iam } : {}) }, meter)
  const iam = iamApi(iamSdk, r.iam.pageSize)
  const eksClients = new Map<string, EKSClient>()
  const eks = (region: string): EKSClient => {
    let c = eksClients.get(region)
    if (c === undefined) {
      c = eksClient({ ...aws, region, ...(r.endpoints.eks !== undefined ? { endpoint: r.endpoints.eks } : {}) }, meter)
      eksClients.set(region, c)
    }
    return c
  }
  const closers: Array<() => void> = []
  const sources: ClusterSource[] = config.clusters.map((cluster) => {
    const settings = clusterSettings(config, cluster.name)
    return {
      name: cluster.name,
      settings,
      async open () {
        const kc = await kubeConfigFor(cluster, settings, {
          eks,
          credentials: () => eks(cluster.region).config.credentials(),
          partition: config.aws.partition,
          ...(config.aws.stsEndpoint !== undefined ? { stsEndpoint: config.aws.stsEndpoint } : {})
        })
        const http = kubeTransport(kc, { timeoutMs: r.kubernetes.timeoutMs, maxAttempts: r.kubernetes.maxAttempts, meter })
        closers.push(http.close)
        const kube = kubeApi(http, r.kubernetes.pageSize)
        return settings.identityMapping === 'access-entries' ? { kube, accessEntries: accessEntriesApi(eks(cluster.region), Math.min(100, r.iam.pageSize)) } : { kube }
      }
    }
  })
  try {
    return await runSync(config, { iam, sources, meter, log }, options)
  } finally {
    iamSdk.destroy()
    for (const c of eksClients.values()) c.destroy()
    for (const close of closers) close()
  }
}
