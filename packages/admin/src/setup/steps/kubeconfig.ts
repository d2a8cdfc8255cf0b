// Step `kubeconfig`: the kubeconfig with one context per configured cluster, which every
// personal container mounts read-only, written by the `bastion kubeconfig` code. Setup
// adds nothing of its own: it asks that code what it would change, then lets it write.
import type { Step } from '../context.ts'

export const kubeconfigStep: Step = {
  name: 'kubeconfig',
  summary: 'the kubeconfig with one context per configured cluster',
  plan: async (ctx) => ctx.writeKubeconfig({ dryRun: true }),
  apply: async (ctx) => ctx.writeKubeconfig({ dryRun: false })
}
