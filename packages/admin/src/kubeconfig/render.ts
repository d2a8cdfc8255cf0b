// The kubeconfig text: one cluster, one user and one context per cluster, all named after
// the cluster, the user authenticating with `aws eks get-token` as an exec plugin. The
// same clusters and settings always give the same bytes, which is what lets the writer
// leave an unchanged file alone.
import { stringify } from 'yaml'
import type { ResolvedCluster } from './clusters.ts'
import type { KubeconfigSettings } from './config.ts'
import { kubeconfigError } from './errors.ts'

const HEADER = [
  '# Written by `bastion kubeconfig write` from the clusters in /etc/bastion/bastion.yaml;',
  '# the next write replaces it, so do not edit it here. Every personal container mounts it',
  "# read-only; a user's own choices (kubectx, kubens) go to ~/.kube/config in their",
  '# container, which kubectl merges with this file (see docs/admin/kubeconfig.md).'
].join('\n')

export function renderKubeconfig (clusters: readonly ResolvedCluster[], settings: Pick<KubeconfigSettings, 'execApiVersion' | 'command' | 'currentContext'>): string {
  const names = new Set<string>()
  for (const c of clusters) {
    if (names.has(c.name)) throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT', `two clusters are named ${c.name}`)
    names.add(c.name)
  }
  const current = settings.currentContext ?? clusters[0]?.name ?? ''
  if (settings.currentContext !== undefined && !names.has(settings.currentContext)) {
    throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CLUSTER_CONFLICT', `toolbox.kubeconfig.currentContext is ${settings.currentContext}, which is not one of the clusters (${[...names].join(', ') || 'none'})`)
  }
  const v1 = settings.execApiVersion === 'client.authentication.k8s.io/v1'
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': current,
    clusters: clusters.map((c) => ({ name: c.name, cluster: { server: c.endpoint, 'certificate-authority-data': c.certificateAuthority } })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
    users: clusters.map((c) => ({
      name: c.name,
      user: {
        exec: {
          apiVersion: settings.execApiVersion,
          command: settings.command,
          args: ['--region', c.region, 'eks', 'get-token', '--cluster-name', c.name, '--output', 'json'],
          // v1 requires it; v1beta1 predates the field.
          ...(v1 ? { interactiveMode: 'Never' } : {})
        }
      }
    }))
  }
  return `${HEADER}\n${stringify(config, { lineWidth: 0 })}`
}
