// Where a cluster's Kubernetes API is and how to authenticate to it. Two ways behind
// one function: a kubeconfig file named in the config (CLI runs, the tests), or, in
// AWS, the endpoint and CA from the clusters list or eks:DescribeCluster plus an IAM
// token signed with the process's own credentials (the Lambda's role, which the
// template gives cluster-admin through an access entry).
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Cluster } from '@bastion/config'
import type { ClusterSyncSettings } from '../config/schema.ts'
import { eksToken, type AwsCredentials } from './eks-token.ts'

export interface ConnectDeps {
  // The EKS client of a region.
  eks: (region: string) => EKSClient
  credentials: () => Promise<AwsCredentials>
  stsEndpoint?: string
  partition?: string
}

export async function kubeConfigFor (cluster: Cluster, settings: ClusterSyncSettings, deps: ConnectDeps): Promise<KubeConfig> {
  // client-node takes a second to load: only when a cluster is actually reached.
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  if (settings.kubeconfig !== undefined) {
    kc.loadFromFile(settings.kubeconfig)
    if (settings.context !== undefined) {
      if (kc.getContextObject(settings.context) === null) throw new Error(`kubeconfig ${settings.kubeconfig} has no context ${settings.context}`)
      kc.setCurrentContext(settings.context)
    }
    if (kc.getCurrentCluster() === null) throw new Error(`kubeconfig ${settings.kubeconfig} has no current cluster`)
    return kc
  }
  let server = cluster.endpoint
  let caData = cluster.certificateAuthority
  if (server === undefined || caData === undefined) {
    const res = await deps.eks(cluster.region).send(new DescribeClusterCommand({ name: cluster.name }))
    server = res.cluster?.endpoint
    caData = res.cluster?.certificateAuthority?.data
    if (server === undefined || caData === undefined) throw new Error(`eks:DescribeCluster returned no endpoint or CA for ${cluster.name}`)
  }
  const token = await eksToken(cluster.name, {
    region: cluster.region,
    credentials: deps.credentials,
    ...(deps.partition !== undefined ? { partition: deps.partition } : {}),
    ...(deps.stsEndpoint !== undefined ? { stsEndpoint: deps.stsEndpoint } : {})
  })
  kc.loadFromOptions({
    clusters: [{ name: cluster.name, server, caData: caData.replace(/\s+/g, '') }],
    users: [{ name: 'bastion-rbacsync', token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'bastion-rbacsync' }],
    currentContext: cluster.name
  })
  return kc
}
