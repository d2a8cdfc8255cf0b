// Loads the shell's view of /etc/bastion/bastion.yaml through @bastion/config. Any
// failure to load it, unreadable or invalid, is the operator's to fix.
//
// Every login starts a fresh runner, and parsing YAML plus validating it against the
// schema means loading both libraries: about 0.2 s of CPU per login. So the runner
// (root) keeps the validated result in a root-only cache, keyed by the config file's
// identity (device, inode, size, mtime, ctime) and by the schema module's own, and
// reads plain JSON while neither changed. A change to either means a full load.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ShellConfig } from './schema.ts'
import { ShellError } from '../errors.ts'

export interface LoadOptions {
  // A directory only root can write; undefined: no cache (tests, non-root callers).
  cacheDir?: string | undefined
}

export async function loadShellConfig (path: string, options: LoadOptions = {}): Promise<Readonly<ShellConfig>> {
  const key = options.cacheDir === undefined ? undefined : cacheKey(path)
  const cacheFile = options.cacheDir === undefined || key === undefined ? undefined : join(options.cacheDir, `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`)
  if (cacheFile !== undefined && options.cacheDir !== undefined && rootOnly(options.cacheDir)) {
    const cached = readCache(cacheFile, key as string)
    if (cached !== undefined) return cached
  }
  const config = await loadFully(path)
  if (cacheFile !== undefined && options.cacheDir !== undefined) writeCache(options.cacheDir, cacheFile, key as string, config)
  return config
}

async function loadFully (path: string): Promise<Readonly<ShellConfig>> {
  const [{ readConfigFile }, { ShellConfigSchema }] = await Promise.all([import('@bastion/config'), import('./schema.ts')])
  try {
    return await readConfigFile(ShellConfigSchema, path)
  } catch (err) {
    throw new ShellError('BASTION_SHELL_CONFIG_INVALID', (err as Error).message, { cause: err })
  }
}

const SCHEMA_FILE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './schema.ts' : './schema.js', import.meta.url))

function identity (s: Stats): string {
  return [s.dev, s.ino, s.size, s.mtimeMs, s.ctimeMs].join(':')
}

// undefined when the file cannot be stat'ed: the full load then reports why.
function cacheKey (path: string): string | undefined {
  try {
    return `${identity(statSync(path))}|${identity(statSync(SCHEMA_FILE))}`
  } catch {
    return undefined
  }
}

// The cache is trusted only in a directory that root owns and nobody else can write.
function rootOnly (dir: string): boolean {
  try {
    const s = statSync(dir)
    return s.isDirectory() && s.uid === 0 && (s.mode & 0o022) === 0
  } catch {
    return false
  }
}

function readCache (file: string, key: string): Readonly<ShellConfig> | undefined {
  try {
    if (statSync(file).uid !== 0) return undefined
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown, config?: unknown }
    return entry.key === key && typeof entry.config === 'object' && entry.config !== null ? deepFreeze(entry.config as ShellConfig) : undefined
  } catch {
    return undefined
  }
}

// Best effort: a login never fails because the cache cannot be written.
function writeCache (dir: string, file: string, key: string, config: Readonly<ShellConfig>): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ key, config }), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // the next login loads fully again
  }
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
