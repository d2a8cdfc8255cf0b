// The stable codes `bastion kubeconfig` ends with, each with the one-line meaning that
// docs/admin/errors.md repeats (a test checks the two agree).
import { codedError } from '../cli-errors.ts'

export const kubeconfigCodes = {
  BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID: 'The config file is missing, unreadable, or invalid (the clusters list, toolbox.kubeconfig, or the shell section)',
  BASTION_ADMIN_KUBECONFIG_EKS_FAILED: 'An EKS API call (ListClusters, DescribeCluster) failed or timed out; nothing was written',
  BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT: 'Two clusters would get the same context name, or toolbox.kubeconfig.currentContext names no cluster',
  BASTION_ADMIN_KUBECONFIG_WRITE_FAILED: 'The kubeconfig file could not be written; the one there before is left as it was'
} as const

export const kubeconfigError = codedError(kubeconfigCodes)
