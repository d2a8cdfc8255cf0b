// The image and kubeconfig steps hand their work to the `bastion image` and `bastion
// kubeconfig` code (src/image, src/kubeconfig), with the config setup already loaded.
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { buildToolbox, splitRef } from '../image/build.ts'
import { dockerImageEngine, type ImageEngine } from '../image/docker.ts'
import { awsEks, type EksApi } from '../kubeconfig/eks.ts'
import { kubeconfigPath, writeKubeconfig } from '../kubeconfig/write.ts'
import { setupError } from './errors.ts'
import type { HostConfig } from './config.ts'
import type { HostPaths } from './paths.ts'

// Builds the toolbox image (toolbox.flavor) and tags it with the name shell.image gives,
// without a rollout: the config file stays as Chef or the operator wrote it.
export async function buildConfiguredImage (config: HostConfig, image: string, output: Writable = process.stderr, engine?: ImageEngine): Promise<string[]> {
  try {
    splitRef(image)
  } catch (err) {
    throw setupError('BASTION_ADMIN_SETUP_IMAGE_FAILED', `shell.image ${image} is missing, and a build cannot be tagged with it (it is not name:tag); build and roll one out with \`bastion image build\``, err)
  }
  const c = config.shell
  const r = await buildToolbox({ loaded: { path: config.path, text: config.text, config: c }, engine: engine ?? dockerImageEngine(c.shell.dockerSocket, { timeoutMs: c.toolbox.dockerTimeoutMs }), now: () => new Date() },
    { rollout: false, tags: [image], force: false, noCache: false, output })
  return [`built ${image} (${r.id.slice(0, 19)}), tagged ${r.refs.join(', ')}`]
}

// The kubeconfig in shell.kubeconfigDir, or at the same path under a --root.
export async function writeConfiguredKubeconfig (config: HostConfig, paths: HostPaths, opts: { dryRun: boolean }, eks?: EksApi): Promise<string[]> {
  const settings = config.shell.toolbox.kubeconfig
  const output = join(paths.root, kubeconfigPath(config.shell))
  const r = await writeKubeconfig(config.shell, eks ?? awsEks({ endpoint: settings.eksEndpoint, timeoutMs: settings.timeoutMs }), { output, dryRun: opts.dryRun })
  if (!r.changed) return []
  const contexts = `${r.clusters.length} context${r.clusters.length === 1 ? '' : 's'}${r.clusters.length > 0 ? `: ${r.clusters.map((c) => c.name).join(', ')}` : ''}`
  return [`${opts.dryRun ? 'write' : 'wrote'} ${r.path} (${contexts})`]
}
