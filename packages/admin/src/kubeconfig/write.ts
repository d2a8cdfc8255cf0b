// `bastion kubeconfig write` without the command line: resolve the clusters, render the
// kubeconfig, and replace the file only when its content changes. The file goes to
// shell.kubeconfigDir, the directory the login shell mounts into every container.
import { join } from 'node:path'
import type { ToolboxConfig } from '../image/config.ts'
import { writeIfChanged } from './atomic-write.ts'
import { resolveClusters, type ResolvedCluster } from './clusters.ts'
import type { EksApi } from './eks.ts'
import { kubeconfigError } from './errors.ts'
import { renderKubeconfig } from './render.ts'

export interface WriteResult {
  path: string
  changed: boolean // with dryRun: would change
  clusters: ResolvedCluster[]
  notes: string[]
}

export function kubeconfigPath (config: Readonly<ToolboxConfig>): string {
  return join(config.shell.kubeconfigDir, 'config')
}

export async function writeKubeconfig (config: Readonly<ToolboxConfig>, eks: EksApi, opts: { output?: string | undefined, dryRun?: boolean } = {}): Promise<WriteResult> {
  const settings = config.toolbox.kubeconfig
  const { clusters, notes } = await resolveClusters(config.clusters, settings.discover.regions, eks)
  const text = renderKubeconfig(clusters, settings)
  const path = opts.output ?? kubeconfigPath(config)
  let changed: boolean
  try {
    // Readable by the users' containers: it holds no secret, only endpoints and CAs.
    changed = await writeIfChanged(path, text, 0o644, { dryRun: opts.dryRun === true })
  } catch (err) {
    throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, err)
  }
  return { path, changed, clusters, notes }
}
