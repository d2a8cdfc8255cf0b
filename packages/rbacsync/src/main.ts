// Wires the real adapters from the config: the IAM, Identity Store (when
// rbacsync.source is identity-center) and EKS clients (SDK v3, adaptive
// retries, every call counted) and one source per cluster: each listed one, then each
// that eks:ListClusters finds in rbacsync.discover.regions (read at every run, so a new
// cluster is synced by the next run, with no redeploy). A discovered cluster is reached
// like a listed one without endpoint: DescribeCluster for endpoint and CA, and an IAM
// token; when that fails, only that cluster is held back. The CLI and the Lambda
// handler both run through here.
import type { Logger } from 'pino'
import type { EKSClient } from '@aws-sdk/client-eks'
import type { Cluster } from '@bastion/config'
import type { RbacsyncConfig } from './config/schema.ts'
import { describeError, problem } from './errors.ts'
import { discoverClusters } from './eks/eks-clusters.ts'
import { eksApi } from './eks/eks-sdk.ts'
import { iamApi, iamClient, type IamPort } from './iam/iam-api.ts'
import { identityStoreApi, identityStoreClient } from './people/identity-store-api.ts'
import { identityStorePeople } from './people/identity-store-people.ts'
import type { PeopleSource } from './people/people-source.ts'
import { kubeApi } from './kube/api.ts'
import { kubeConfigFor } from './kube/connect.ts'
import { kubeTransport } from './kube/http.ts'
import { accessEntriesApi, eksClient } from './mapping/access-entries.ts'
import { createMeter, type Meter } from './reconcile/meter.ts'
import type { ClusterSource } from './reconcile/observe.ts'
import { clusterSettings, runSync, type DiscoveryOutcome, type SyncReport } from './sync.ts'

// The IAM client and a metered EKS client per region, from the config; destroy() closes them.
export function awsPorts (config: Readonly<RbacsyncConfig>, meter: Meter): { iam: IamPort, people?: PeopleSource, eks: (region: string) => EKSClient, destroy: () => void } {
  const r = config.rbacsync
  const aws = { maxAttempts: r.iam.maxAttempts, timeoutMs: r.iam.timeoutMs }
  const iamSdk = iamClient({ ...aws, region: config.aws.region, ...(r.endpoints.iam !== undefined ? { endpoint: r.endpoints.iam } : {}) }, meter)
  const eksClients = new Map<string, EKSClient>()
  const eks = (region: string): EKSClient => {
    let c = eksClients.get(region)
    if (c === undefined) {
      c = eksClient({ ...aws, region, ...(r.endpoints.eks !== undefined ? { endpoint: r.endpoints.eks } : {}) }, meter)
      eksClients.set(region, c)
    }
    return c
  }
  const ic = r.identityCenter
  const storeSdk = r.source === 'identity-center' && ic.identityStoreId !== undefined
    ? identityStoreClient({ ...aws, region: ic.region ?? config.aws.region, ...(ic.endpoint !== undefined ? { endpoint: ic.endpoint } : {}) }, meter)
    : undefined
  return {
    iam: iamApi(iamSdk, r.iam.pageSize),
    ...(storeSdk !== undefined && ic.identityStoreId !== undefined ? { people: identityStorePeople(identityStoreApi(storeSdk, ic.identityStoreId, r.iam.pageSize), ic.identityStoreId, r.iam.concurrency) } : {}),
    eks,
    destroy () {
      iamSdk.destroy()
      storeSdk?.destroy()
      for (const c of eksClients.values()) c.destroy()
    }
  }
}

export async function syncOnce (config: Readonly<RbacsyncConfig>, log: Logger, options: { dryRun: boolean, meter?: Meter }): Promise<SyncReport> {
  const r = config.rbacsync
  const meter = options.meter ?? createMeter()
  const { iam, people, eks, destroy } = awsPorts(config, meter)
  const closers: Array<() => void> = []
  let discovery: DiscoveryOutcome | undefined
  const clusters: Cluster[] = [...config.clusters]
  if (r.discover.regions.length > 0) {
    const found = await discoverClusters(config.clusters, r.discover.regions, eksApi(eks, r.iam.timeoutMs))
    clusters.push(...found.clusters)
    discovery = {
      complete: found.failures.length === 0,
      problems: [
        ...found.failures.map((f) => problem('BASTION_RBACSYNC_READ_FAILED', f.region, `could not list the EKS clusters of ${f.region}: ${describeError(f.error)}`)),
        ...found.conflicts.map((c) => problem('BASTION_RBACSYNC_DISCOVERY_CONFLICT', c.name, `cluster ${c.name} is in ${c.regions[0]} and ${c.regions[1]}: one name cannot stand for both, so only a listed one of that name is synced; list the one you mean in clusters, or drop a region from rbacsync.discover.regions`))
      ],
      heldBack: found.failures.map((f) => `${f.region}: ListClusters failed: clusters found only there were not synced, and their groups' members keep their roles`)
    }
  }
  const sources: ClusterSource[] = clusters.map((cluster) => {
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
    return await runSync(config, { iam, ...(people !== undefined ? { people } : {}), sources, meter, log, ...(discovery !== undefined ? { discovery } : {}) }, options)
  } finally {
    destroy()
    for (const close of closers) close()
  }
}
