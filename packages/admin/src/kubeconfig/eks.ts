// The two EKS API calls the kubeconfig writer makes, behind a narrow interface so that
// unit tests give it a fake: ListClusters (every page) and DescribeCluster. The real one
// talks to the region's EKS endpoint, or to toolbox.kubeconfig.eksEndpoint (an emulator
// in tests), with the host's AWS credentials and a timeout on every call.
import { EKSClient, DescribeClusterCommand, paginateListClusters } from '@aws-sdk/client-eks'

export interface DescribedCluster {
  endpoint: string | undefined // undefined while the cluster is still being created
  certificateAuthority: string | undefined
  status: string | undefined
}

export interface EksApi {
  listClusters (region: string): Promise<string[]>
  describeCluster (region: string, name: string): Promise<DescribedCluster>
}

export function awsEks (opts: { endpoint?: string | undefined, timeoutMs: number }): EksApi {
  const clients = new Map<string, EKSClient>()
  const client = (region: string): EKSClient => {
    let c = clients.get(region)
    if (c === undefined) {
      c = new EKSClient({
        region,
        maxAttempts: 3,
        requestHandler: { connectionTimeout: opts.timeoutMs, requestTimeout: opts.timeoutMs, throwOnRequestTimeout: true },
        ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {})
      })
      clients.set(region, c)
    }
    return c
  }
  return {
    async listClusters (region) {
      const names: string[] = []
      for await (const page of paginateListClusters({ client: client(region), pageSize: 100 }, {})) {
        names.push(...(page.clusters ?? []))
      }
      return names
    },
    async describeCluster (region, name) {
      const out = await client(region).send(new DescribeClusterCommand({ name }), { abortSignal: AbortSignal.timeout(opts.timeoutMs) })
      return { endpoint: out.cluster?.endpoint, certificateAuthority: out.cluster?.certificateAuthority?.data, status: out.cluster?.status }
    }
  }
}
