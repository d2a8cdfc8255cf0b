// Which CloudWatch Logs groups `bastion audit` reads, from the config: each EKS cluster's
// control plane log group (the clusters list, what EKS discovery finds, and overrides),
// CloudTrail's group, and the groups the bastion hosts' own logs are shipped to
// (audit.cloudwatch's, else bastion ship's when ship.enabled).
import type { EksApi } from '../kubeconfig/eks.ts'
import type { AuditConfig } from './config.ts'
import type { Warnings } from './log-files.ts'

export const DEFAULT_STREAM_PREFIX = 'kube-apiserver-audit'
export const defaultKubeGroup = (cluster: string): string => `/aws/eks/${cluster}/cluster`

export interface KubeGroup {
  cluster: string
  region: string
  logGroup: string
  streamPrefix: string
}

export interface CloudGroups {
  kube: KubeGroup[]
  cloudTrail: { region: string, logGroup: string } | null
  sessions: { region: string, logGroup: string } | null
  credentials: { region: string, logGroup: string } | null
}

// The bastion's own region for groups that are not a cluster's.
export const homeRegion = (config: Readonly<AuditConfig>): string => config.audit.cloudwatch.region ?? config.aws.region

// kubeFromFlags: --kube-audit was given, which replaces every configured Kubernetes source.
export async function cloudGroups (config: Readonly<AuditConfig>, eks: EksApi | null, kubeFromFlags: boolean, warnings: Warnings): Promise<CloudGroups> {
  const cw = config.audit.cloudwatch
  const home = homeRegion(config)
  const at = (logGroup: string | undefined, region: string | undefined): { region: string, logGroup: string } | null =>
    logGroup === undefined ? null : { region: region ?? home, logGroup }
  const kube: KubeGroup[] = []
  if (!kubeFromFlags) {
    const files = new Set(Object.keys(config.audit.kubeAuditLogs))
    const listed = new Map(config.clusters.map((c) => [c.name, c.region]))
    const taken = new Set(files)
    for (const [cluster, g] of Object.entries(cw.kubeLogGroups)) {
      taken.add(cluster)
      kube.push({ cluster, region: g.region ?? listed.get(cluster) ?? home, logGroup: g.logGroup, streamPrefix: g.streamPrefix ?? DEFAULT_STREAM_PREFIX })
    }
    if (cw.kubernetes) {
      const add = (cluster: string, region: string): void => {
        if (taken.has(cluster)) return
        taken.add(cluster)
        kube.push({ cluster, region, logGroup: defaultKubeGroup(cluster), streamPrefix: DEFAULT_STREAM_PREFIX })
      }
      for (const c of config.clusters) add(c.name, c.region)
      for (const region of config.toolbox.kubeconfig.discover.regions) {
        if (eks === null) break
        try {
          for (const name of await eks.listClusters(region)) add(name, region)
        } catch (err) {
          warnings.add(`kubernetes: cannot list the EKS clusters of ${region} (eks:ListClusters: ${(err as Error).message}): clusters found only by discovery there are left out`)
        }
      }
    }
  }
  // Unset, the hosts' groups are those bastion ship sends to, when it does.
  const ship = config.ship
  const shipped = (logGroup: string): { region: string, logGroup: string } | null => ship.enabled ? { region: ship.region ?? home, logGroup } : null
  return {
    kube,
    cloudTrail: at(cw.cloudTrail?.logGroup, cw.cloudTrail?.region),
    sessions: cw.sessionsLogGroup !== undefined ? at(cw.sessionsLogGroup, undefined) : shipped(ship.sessionsLogGroup),
    credentials: cw.credentialsLogGroup !== undefined ? at(cw.credentialsLogGroup, undefined) : shipped(ship.credentialsLogGroup)
  }
}
