// The image and kubeconfig steps run the `bastion image build` and `bastion kubeconfig
// write` commands of this same suite, with the same config and Node.
import { join } from 'node:path'
import { runOk, type Exec } from './exec.ts'
import type { HostPaths } from './paths.ts'

const bastion = (paths: HostPaths): string[] => [join(paths.app, 'packages/admin/dist/bin/bastion.js'), '--config', paths.config]

export async function buildImageWith (exec: Exec, paths: HostPaths, image: string): Promise<string[]> {
  await runOk(exec, paths.node, [...bastion(paths), 'image', 'build'], { timeoutMs: 3_600_000 })
  return [`built ${image} (bastion image build)`]
}

export async function writeKubeconfigWith (exec: Exec, paths: HostPaths, opts: { dryRun: boolean }): Promise<string[]> {
  const r = await runOk(exec, paths.node, [...bastion(paths), 'kubeconfig', 'write', ...(opts.dryRun ? ['--check'] : [])], { timeoutMs: 120_000 })
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !/no changes/i.test(l))
}
