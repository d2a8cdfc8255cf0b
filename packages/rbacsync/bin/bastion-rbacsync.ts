#!/usr/bin/env node
// bastion-rbacsync: the command line. `sync` reconciles IAM groups into RBAC on every
// configured cluster (`--dry-run` plans and writes nothing), `diff` shows what sync
// would change, `decommission <cluster>` deletes a gone cluster's groups (dry run
// unless --yes), `config check` validates the file.
// Exit codes: 0 done / in sync; 1 (diff only) changes pending; 2 a problem (a failed
// read, a failed write, a limit, a foreign object in the way) or a bad config.
import { Command } from 'commander'
import { packageVersion } from '@bastion/config/version'
import { joinImdsGroup } from '@bastion/config/imds-group'
import { configPath, loadConfig } from '../src/config/load.ts'
import { isRbacsyncError } from '../src/errors.ts'
import { createLogger } from '../src/log.ts'
import { awsPorts, syncOnce } from '../src/main.ts'
import { decommission, formatDecommission } from '../src/decommission.ts'
import { eksApi } from '../src/eks/eks-sdk.ts'
import { createMeter } from '../src/reconcile/meter.ts'
import { formatReport, reportJson } from '../src/report.ts'

const program = new Command()
program
  .name('bastion-rbacsync')
  .description('Turn IAM group membership (k8s-<tier>@<cluster>[@<namespace>]) into per-user IAM roles, identity mappings and Kubernetes RBAC on every configured cluster.')
  .option('-c, --config <path>', 'config file (default: $BASTION_CONFIG or /etc/bastion/bastion.yaml)')
  .version(`bastion-rbacsync ${packageVersion(import.meta.url)}`, '-V, --version', 'print the version and exit')
  .option('--json', 'print the report as JSON')
  .option('--log-level <level>', 'override rbacsync.log.level (logs go to stderr)')
  .showHelpAfterError()
  .addHelpText('after', '\nExit codes: 0 done or in sync; 1 (diff) changes pending; 2 a problem was reported or the config is invalid.')

type Globals = { config?: string, json?: boolean, logLevel?: string }

async function run (command: 'sync' | 'diff', dryRun: boolean): Promise<void> {
  const g = program.opts<Globals>()
  const config = await loadConfig(configPath(g.config, process.env))
  const log = createLogger(g.logLevel ?? config.rbacsync.log.level)
  const report = await syncOnce(config, log, { dryRun })
  console.log(g.json === true ? JSON.stringify(reportJson(report), null, 2) : formatReport(report, command))
  process.exitCode = !report.ok ? 2 : command === 'diff' && report.actions.length > 0 ? 1 : 0
}

program.command('sync')
  .description('reconcile now: create what is missing, update what drifted, prune what we own and nobody needs')
  .option('--dry-run', 'plan and print the changes, write nothing')
  .action(async (opts: { dryRun?: boolean }) => run('sync', opts.dryRun === true))

program.command('diff')
  .description('print what sync would change; exit 1 when something would')
  .action(async () => run('diff', true))

program.command('decommission')
  .argument('<cluster>', 'the cluster that is gone')
  .description('delete the IAM groups of a cluster that is gone: refuses while it is listed or discovered, or while a group has members; a dry run unless --yes')
  .option('--yes', 'delete the groups (without it: print what would be deleted)')
  .action(async (cluster: string, opts: { yes?: boolean }) => {
    const config = await loadConfig(configPath(program.opts<Globals>().config, process.env))
    const ports = awsPorts(config, createMeter())
    try {
      const result = await decommission(config, cluster, { iam: ports.iam, eks: eksApi(ports.eks, config.rbacsync.iam.timeoutMs) }, { yes: opts.yes === true })
      console.log(program.opts<Globals>().json === true ? JSON.stringify(result, null, 2) : formatDecommission(result))
    } finally {
      ports.destroy()
    }
  })

program.command('config').description('configuration').command('check').description('validate the config file and print it with defaults applied').action(async () => {
  console.log(JSON.stringify(await loadConfig(configPath(program.opts<Globals>().config, process.env)), null, 2))
})

// Before any AWS call: the host guard lets only holders of bastion-imds reach IMDS.
joinImdsGroup()
program.parseAsync(process.argv).catch((err: unknown) => {
  if (isRbacsyncError(err)) {
    console.error(`bastion-rbacsync: ${err.message} [${err.code}]`)
  } else {
    console.error(`bastion-rbacsync: unexpected error: ${(err as Error).stack ?? String(err)}`)
  }
  process.exit(2)
})
