// `bastion kubeconfig write`: the kubeconfig with one context per cluster that every
// personal container mounts read-only (docs/admin/kubeconfig.md). Idempotent: a run
// that would write the same bytes writes nothing and says "no changes".
import type { Command } from 'commander'
import { isAbsolute } from 'node:path'
import { configPath } from '@bastion/config'
import { loadToolboxConfig } from '../image/config.ts'
import { awsEks } from '../kubeconfig/eks.ts'
import { kubeconfigError } from '../kubeconfig/errors.ts'
import { writeKubeconfig } from '../kubeconfig/write.ts'

interface WriteOptions { check?: boolean, output?: string }

export function register (program: Command): void {
  const kube = program.command('kubeconfig')
    .description('write the kubeconfig the personal containers use: one context per cluster')
  kube.command('write')
    .description('write <shell.kubeconfigDir>/config from the clusters list and EKS discovery, only when it changes')
    .option('--check', 'change nothing; say whether the file would change')
    .option('--output <file>', 'write this file instead (an absolute path)')
    .addHelpText('after', [
      '',
      'Clusters come from the config\'s `clusters` list (DescribeCluster fills in a missing',
      'endpoint and CA) and from eks:ListClusters in toolbox.kubeconfig.discover.regions.',
      'Each context authenticates with `aws eks get-token` (toolbox.kubeconfig.execApiVersion).',
      'Prints one line: "wrote <file> ..." or "<file>: no changes ...". AWS credentials come',
      'from the environment or the host\'s instance role.'
    ].join('\n'))
    .action(async (opts: WriteOptions, cmd: Command) => {
      if (opts.output !== undefined && !isAbsolute(opts.output)) {
        throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID', `--output must be an absolute path, not ${opts.output}`)
      }
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config, process.env)
      const { config } = await loadToolboxConfig(path).catch((err: Error) => {
        throw kubeconfigError('BASTION_ADMIN_KUBECONFIG_CONFIG_INVALID', err.message, err)
      })
      const settings = config.toolbox.kubeconfig
      const r = await writeKubeconfig(config, awsEks({ endpoint: settings.eksEndpoint, timeoutMs: settings.timeoutMs }), { output: opts.output, dryRun: opts.check === true })
      for (const note of r.notes) process.stderr.write(`bastion kubeconfig: ${note}\n`)
      const what = `${r.clusters.length} context${r.clusters.length === 1 ? '' : 's'}${r.clusters.length > 0 ? ` (${r.clusters.map((c) => c.name).join(', ')})` : ''}`
      if (!r.changed) process.stdout.write(`${r.path}: no changes, ${what}\n`)
      else process.stdout.write(`${opts.check === true ? 'would write' : 'wrote'} ${r.path}: ${what}\n`)
    })
}
