// The EKS cluster discovery that rbacsync and `bastion kubeconfig write` share: the two
// EKS calls (ListClusters, every page, and DescribeCluster) behind a narrow interface so
// that unit tests give it a fake, and the walk over the configured regions that finds
// every cluster the clusters list does not already name.

export interface DescribedCluster {
  endpoint: string | undefined // undefined while the cluster is still being created
  certificateAuthority: string | undefined
  status: string | undefined
}

export interface EksApi {
  listClusters (region: string): Promise<string[]>
  describeCluster (region: string, name: string): Promise<DescribedCluster>
}

export interface DiscoveredCluster {
  name: string
  region: string
}

export interface Discovery {
  // Clusters found in the regions that the list does not name, by region in the order
  // given, then by name.
  clusters: DiscoveredCluster[]
  // A region whose ListClusters failed: what is there is unknown this time.
  failures: Array<{ region: string, error: unknown }>
  // A name found in another region than the one the list (or an earlier region) has it
  // in: one name cannot stand for two clusters, so no discovered cluster of that name is
  // in `clusters` (a listed one stays listed).
  conflicts: Array<{ name: string, regions: [string, string] }>
}

export async function discoverClusters (listed: ReadonlyArray<{ name: string, region: string }>, regions: readonly string[], eks: EksApi): Promise<Discovery> {
  const seen = new Map(listed.map((c) => [c.name, c.region]))
  const out: Discovery = { clusters: [], failures: [], conflicts: [] }
  for (const region of regions) {
    let names: string[]
    try {
      names = [...await eks.listClusters(region)].sort()
    } catch (error) {
      out.failures.push({ region, error })
      continue
    }
    for (const name of names) {
      const known = seen.get(name)
      if (known === region) continue
      if (known !== undefined) {
        out.conflicts.push({ name, regions: [known, region] })
        out.clusters = out.clusters.filter((c) => c.name !== name)
        continue
      }
      seen.set(name, region)
      out.clusters.push({ name, region })
    }
  }
  return out
}
