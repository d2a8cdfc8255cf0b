// Parse, apply defaults, reject unknown keys, freeze. Problems name the key path
// (`metadataproxy.imds.prt: unknown key`); the caller wraps them in its own error code.
import { readFile } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'


// Thrown with every problem found, for the component to turn into its own error.
export class ConfigProblem extends Error {
  readonly problems: string[]
  readonly unreadable: boolean
  constructor (source: string, problems: string[], unreadable = false, cause?: unknown) {
    super(unreadable ? problems.join('; ') : `invalid configuration in ${source}:\n  - ${problems.join('\n  - ')}`, { cause })
    this.name = 'ConfigProblem'
    this.problems = problems
    this.unreadable = unreadable
  }
}


export async function readConfigFile<S extends TSchema> (schema: S, path: string, checks?: (c: Static<S>) => string[]): Promise<Readonly<Static<S>>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigProblem(path, [`cannot read config file ${path}: ${(err as Error).message}`], true, err)
  }
  return parseConfigText(schema, text, path, checks)
}

export function parseConfigText<S extends TSchema> (schema: S, text: string, source = 'config', checks?: (c: Static<S>) => string[]): Readonly<Static<S>> {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) throw new ConfigProblem(source, [`YAML syntax: ${doc.errors[0]?.message ?? 'unknown error'}`])
  let raw: unknown
  try {
    // toJS throws on alias bombs ("excessive alias count") and the like.
    raw = doc.toJS() ?? {}
  } catch (err) {
    throw new ConfigProblem(source, [`YAML: ${(err as Error).message}`], false, err)
  }
  const value = Value.Default(schema, Value.Clone(raw))
  const problems = [...new Set([...Value.Errors(schema, value)].map((e) => `${keyPath(e.path)}: ${describe(e.message, e.value)}`))]
  if (problems.length > 0) throw new ConfigProblem(source, problems)
  const config = value as Static<S>
  const extra = checks?.(config) ?? []
  if (extra.length > 0) throw new ConfigProblem(source, extra)
  return deepFreeze(config)
}

function describe (message: string, value: unknown): string {
  // TypeBox reports an unknown key as a failed "additionalProperties" on the key itself.
  if (/additional|unexpected property/i.test(message)) return 'unknown key'
  if (value === undefined) return 'required key is missing'
  return message
}

function keyPath (pointer: string): string {
  if (pointer === '') return '(top level)'
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.')
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
