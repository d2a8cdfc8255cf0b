// Loads /etc/bastion/bastion.yaml once at start through @bastion/config (parse, apply
// defaults, reject unknown keys by key path, freeze), plus the rules a schema cannot say.
import { ConfigProblem, DEFAULT_CONFIG_PATH, clusterProblems, configPath, parseConfigText, readConfigFile } from '@bastion/config'
import { RbacsyncConfigSchema, type RbacsyncConfig } from './schema.ts'
import { RbacsyncError } from '../errors.ts'

export { DEFAULT_CONFIG_PATH, configPath }

export async function loadConfig (path: string): Promise<Readonly<RbacsyncConfig>> {
  try {
    return await readConfigFile(RbacsyncConfigSchema, path, crossChecks)
  } catch (err) {
    throw toRbacsyncError(err)
  }
}

export function parseConfig (text: string, source = 'config'): Readonly<RbacsyncConfig> {
  try {
    return parseConfigText(RbacsyncConfigSchema, text, source, crossChecks)
  } catch (err) {
    throw toRbacsyncError(err)
  }
}

// Why a bound is what it is, for the keys whose limit is not obvious from the number.
const WHY: Record<string, string> = {
  'rbacsync.iam.maxSessionDurationSeconds': 'the bastion assumes the per-user role with its own (instance role) credentials, which is role chaining, and AWS caps a chained session at one hour (3600 seconds)'
}

function toRbacsyncError (err: unknown): unknown {
  if (!(err instanceof ConfigProblem)) return err
  let message = err.message
  for (const p of err.problems) {
    const why = WHY[p.slice(0, p.indexOf(':'))]
    if (why !== undefined) message = message.replace(`- ${p}`, `- ${p}: ${why}`)
  }
  return new RbacsyncError(err.unreadable ? 'BASTION_RBACSYNC_CONFIG_UNREADABLE' : 'BASTION_RBACSYNC_CONFIG_INVALID', message, { cause: err.unreadable ? err.cause : err })
}

function crossChecks (config: RbacsyncConfig): string[] {
  const problems = clusterProblems(config.clusters)
  const names = new Set(config.clusters.map((c) => c.name))
  for (const [name, c] of Object.entries(config.rbacsync.clusters)) {
    if (!names.has(name) && config.rbacsync.discover.regions.length === 0) problems.push(`rbacsync.clusters.${name}: no cluster of that name in the top-level clusters list`)
    if (c.context !== undefined && c.kubeconfig === undefined) problems.push(`rbacsync.clusters.${name}.context: only means something with a kubeconfig`)
  }
  if (config.rbacsync.source === 'identity-center' && config.rbacsync.identityCenter.identityStoreId === undefined) problems.push('rbacsync.identityCenter.identityStoreId: required when rbacsync.source is identity-center')
  if (config.clusters.length === 0 && config.rbacsync.discover.regions.length === 0) problems.push('clusters: rbacsync needs at least one cluster to sync, listed or in rbacsync.discover.regions')
  return problems
}
