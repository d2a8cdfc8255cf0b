// The real EksApi (eks-clusters.ts) over the SDK's EKS clients. Like main.ts, no unit
// test loads it: the integration suites run it against moto's EKS.
import { EKSClient, DescribeClusterCommand, paginateListClusters } from '@aws-sdk/client-eks'
import type { EksApi } from './eks-clusters.ts'

// Over the EKS client of each region (made, and kept, by `client`); every call has a timeout.
export function eksApi (client: (region: string) => EKSClient, timeoutMs: number): EksApi {
  return {
    async listClusters (region) {
      const names: string[] = []
      for await (const page of paginateListClusters({ client: client(region), pageSize: 100 }, {})) {
        names.push(...(page.clusters ?? []))
      }
      return names
    },
    async describeCluster (region, name) {
      const out = await client(region).send(new DescribeClusterCommand({ name }), { abortSignal: AbortSignal.timeout(timeoutMs) })
      return { endpoint: out.cluster?.endpoint, certificateAuthority: out.cluster?.certificateAuthority?.data, status: out.cluster?.status }
    }
  }
}

// The real one with clients of its own: the region's EKS endpoint, or `endpoint` (an
// emulator in tests), with the process's AWS credentials.
export function awsEks (opts: { endpoint?: string | undefined, timeoutMs: number }): EksApi {
  const clients = new Map<string, EKSClient>()
  return eksApi((region) => {
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
  }, opts.timeoutMs)
}
