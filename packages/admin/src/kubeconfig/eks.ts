// The EKS calls the kubeconfig writer makes (ListClusters, DescribeCluster) are the
// discovery module it shares with rbacsync; see @bastion/rbacsync's eks/eks-clusters.ts.
export { awsEks, discoverClusters, type DescribedCluster, type EksApi } from '@bastion/rbacsync'
