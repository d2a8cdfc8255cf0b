// Loads /etc/bastion/bastion.yaml once at start: parse, apply defaults, reject unknown
// keys, check the rules a schema cannot say, then freeze. Errors name the key path.
import { readFile } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, FORBIDDEN_PASSTHROUGH, type Config } from './schema.ts'
import { BastionError } from '../errors.ts'

export const DEFAULT_CONFIG_PATH = '/etc/bastion/bastion.yaml'

// Where the config comes from: --config, then BASTION_CONFIG, then the default.
export function configPath (flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.BASTION_CONFIG ?? DEFAULT_CONFIG_PATH
}

export async function loadConfig (path: string): Promise<Readonly<Config>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new BastionError('BASTION_METADATAPROXY_CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err })
  }
  return parseConfig(text, path)
}

export function parseConfig (text: string, source = 'config'): Readonly<Config> {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    throw invalid(source, [`YAML syntax: ${first?.message ?? 'unknown error'}`])
  }
  const raw: unknown = doc.toJS() ?? {}
  const value = Value.Default(ConfigSchema, Value.Clone(raw))
  const problems = [...Value.Errors(ConfigSchema, value)].map((e) => `${keyPath(e.path)}: ${describe(e.message, e.path, e.value)}`)
  if (problems.length > 0) throw invalid(source, dedupe(problems))
  const config = value as Config
  const extra = crossChecks(config)
  if (extra.length > 0) throw invalid(source, extra)
  return deepFreeze(config)
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

function describe (message: string, path: string, value: unknown): string {
  // TypeBox reports an unknown key as a failed "additionalProperties" on the key itself.
  if (/additional|unexpected property/i.test(message)) return 'unknown key'
  if (value === undefined) return 'required key is missing'
  return message
}

function keyPath (pointer: string): string {
  if (pointer === '') return '(top level)'
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.')
}

function invalid (source: string, problems: string[]): BastionError {
  return new BastionError('BASTION_METADATAPROXY_CONFIG_INVALID', `invalid configuration in ${source}:\n  - ${problems.join('\n  - ')}`)
}

function dedupe (list: string[]): string[] {
  return [...new Set(list)]
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
