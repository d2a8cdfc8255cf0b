// Loads /etc/bastion/bastion.yaml once at start through @bastion/config (parse, apply
// defaults, reject unknown keys by key path, freeze), plus the rules a schema cannot say.
import { ConfigProblem, DEFAULT_CONFIG_PATH, configPath, parseConfigText, readConfigFile } from '@bastion/config'
import { ConfigSchema, FORBIDDEN_PASSTHROUGH, type Config } from './schema.ts'
import { BastionError } from '../errors.ts'

export { DEFAULT_CONFIG_PATH, configPath }

export async function loadConfig (path: string): Promise<Readonly<Config>> {
  return wrap(() => readConfigFile(ConfigSchema, path, crossChecks))
}

export function parseConfig (text: string, source = 'config'): Readonly<Config> {
  return wrapSync(() => parseConfigText(ConfigSchema, text, source, crossChecks))
}

async function wrap<T> (fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toBastionError(err)
  }
}

function wrapSync<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw toBastionError(err)
  }
}

// Why an upper bound is what it is, for the keys whose limit the number alone does not explain.
const WHY: Record<string, string> = {
  'metadataproxy.credentials.durationSeconds': 'the proxy assumes each user role with the instance role\'s own session credentials, which is role chaining, and AWS caps a chained session at one hour (3600 seconds)'
}

function toBastionError (err: unknown): unknown {
  if (!(err instanceof ConfigProblem)) return err
  let message = err.message
  for (const p of err.problems) {
    const why = WHY[p.slice(0, p.indexOf(':'))]
    if (why !== undefined && p.includes('less or equal')) message = message.replace(`- ${p}`, `- ${p}: ${why}`)
  }
  return new BastionError(err.unreadable ? 'BASTION_METADATAPROXY_CONFIG_UNREADABLE' : 'BASTION_METADATAPROXY_CONFIG_INVALID', message, { cause: err.unreadable ? err.cause : err })
}

function crossChecks (config: Config): string[] {
  const c = config.metadataproxy.credentials
  const problems: string[] = []
  if (c.refreshBeforeSeconds <= c.minRemainingSeconds) {
    problems.push('metadataproxy.credentials.refreshBeforeSeconds: must be greater than minRemainingSeconds')
  }
  if (c.refreshBeforeSeconds >= c.durationSeconds) {
    problems.push('metadataproxy.credentials.refreshBeforeSeconds: must be less than durationSeconds')
  }
  if (c.retryMaxMs < c.retryBaseMs) {
    problems.push('metadataproxy.credentials.retryMaxMs: must be at least retryBaseMs')
  }
  config.metadataproxy.passthrough.paths.forEach((p, i) => {
    const bad = FORBIDDEN_PASSTHROUGH.find((f) => p === f || p.startsWith(`${f}/`))
    if (bad !== undefined || p.split('/').includes('..')) {
      problems.push(`metadataproxy.passthrough.paths.${i}: "${p}" may expose the host's identity and can never be passed through`)
    }
  })
  const [addr] = config.network.subnet.split('/')
  if (addr === undefined || addr.split('.').some((o) => Number(o) > 255)) {
    problems.push('network.subnet: not an IPv4 CIDR')
  }
  return problems
}
