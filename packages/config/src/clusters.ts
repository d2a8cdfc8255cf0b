// The top-level `clusters` list: the EKS clusters the bastion gives access to. Shared
// by rbacsync (which syncs access on each) and the operator's kubeconfig writer.
import { Type, type Static } from '@sinclair/typebox'

// EKS's own rule for a cluster name; it can hold no `@`, which keeps the IAM group
// names k8s-<tier>@<cluster>@<namespace> unambiguous.
export const CLUSTER_NAME_PATTERN = '^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$'

export const ClusterEntry = Type.Object({
  name: Type.String({ pattern: CLUSTER_NAME_PATTERN, description: 'EKS cluster name; also part of the IAM group names k8s-<tier>@<name>[@<namespace>]' }),
  region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', description: 'AWS region of the cluster' }),
  endpoint: Type.Optional(Type.String({ pattern: '^https://', description: 'Kubernetes API server URL; default: looked up with eks:DescribeCluster' })),
  certificateAuthority: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/=\\s]+$', description: "Base64 of the cluster CA's PEM (EKS certificateAuthority.data); default: looked up with eks:DescribeCluster" }))
}, { additionalProperties: false })

export const ClustersSection = Type.Array(ClusterEntry, { default: [], description: 'The EKS clusters the bastion gives access to' })

export type Cluster = Static<typeof ClusterEntry>

// The checks a schema cannot say: names are unique, an endpoint comes with its CA.
export function clusterProblems (clusters: readonly Cluster[]): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  clusters.forEach((c, i) => {
    if (seen.has(c.name)) problems.push(`clusters.${i}.name: cluster "${c.name}" is listed twice`)
    seen.add(c.name)
    if ((c.endpoint === undefined) !== (c.certificateAuthority === undefined)) {
      problems.push(`clusters.${i}: endpoint and certificateAuthority go together (give both, or neither to look them up)`)
    }
  })
  return problems
}
