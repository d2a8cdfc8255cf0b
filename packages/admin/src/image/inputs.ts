// What a toolbox build is made from: the Dockerfile's directory (images/toolbox of the
// installed suite, or toolbox.context), the build arguments, and for the offline build
// the binaries it copies in (k9s, and a kubectl within the clusters' version skew). Their hash, stored as an image label, is how a rebuild
// that would change nothing is recognised and skipped; the build itself runs on a copy
// of the directory, so the installed suite is never written to.
import { createHash } from 'node:crypto'
import { access, constants, copyFile, cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Toolbox } from './config.ts'
import { imageError } from './errors.ts'

export type Flavor = 'offline' | 'production'

export const DOCKERFILES: Record<Flavor, string> = { offline: 'Dockerfile.offline', production: 'Dockerfile' }

// Where the offline build's binaries come from (test/bed/components/gotools.sh builds them).
const GO_MODULES: Record<string, string> = { k9s: 'github.com/derailed/k9s', kubectl: 'k8s.io/kubernetes/cmd/kubectl' }

export interface BuildInputs {
  flavor: Flavor
  context: string
  dockerfile: string
  buildArgs: Record<string, string>
  // Offline only: the files copied into the build context by name (k9s, kubectl).
  binaries: Record<string, string>
  hash: string // sha256:<hex> over all of the above
}

// images/toolbox of the suite this command belongs to: the first ancestor of this file
// that has it (src/ when run from source, dist/src/ when built).
export function suiteContext (from = fileURLToPath(import.meta.url)): string | undefined {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'images', 'toolbox')
    if (existsSync(join(candidate, DOCKERFILES.production))) return candidate
  }
  return undefined
}

export async function buildInputs (toolbox: Readonly<Toolbox>, flavor: Flavor, contextDir = toolbox.context ?? suiteContext()): Promise<BuildInputs> {
  if (contextDir === undefined) throw imageError('BASTION_ADMIN_IMAGE_CONTEXT_MISSING', 'images/toolbox is not next to this suite; set toolbox.context to the directory with the toolbox Dockerfiles')
  const dockerfile = DOCKERFILES[flavor]
  if (!existsSync(join(contextDir, dockerfile))) throw imageError('BASTION_ADMIN_IMAGE_CONTEXT_MISSING', `${join(contextDir, dockerfile)} does not exist (toolbox.context)`)
  const buildArgs: Record<string, string> = {}
  const base = flavor === 'offline' ? toolbox.offline.base : toolbox.production.base
  if (base !== undefined) buildArgs.BASE = base
  const binaries: Record<string, string> = flavor === 'offline' ? { k9s: toolbox.offline.k9s, kubectl: toolbox.offline.kubectl } : {}
  for (const [name, path] of Object.entries(binaries)) {
    try {
      await access(path, constants.X_OK)
    } catch (err) {
      throw imageError('BASTION_ADMIN_IMAGE_CONTEXT_MISSING', `the offline build copies in ${name} from ${path}, which is not an executable file (${(err as NodeJS.ErrnoException).code ?? 'error'}); build it from its Go module (${GO_MODULES[name] ?? name}) and set toolbox.offline.${name}, or use --production`, err)
    }
  }
  const h = createHash('sha256')
  h.update(JSON.stringify({ flavor, dockerfile, buildArgs })).update('\0')
  for (const file of await files(contextDir)) {
    const s = await stat(join(contextDir, file))
    h.update(`${file}\0${s.mode & 0o111 ? 'x' : '-'}\0`).update(await readFile(join(contextDir, file))).update('\0')
  }
  for (const [name, path] of Object.entries(binaries)) h.update(`${name}\0`).update(await readFile(path)).update('\0')
  return { flavor, context: contextDir, dockerfile, buildArgs, binaries, hash: `sha256:${h.digest('hex')}` }
}

// A copy of the context to build from, with the offline build's binaries in it.
export async function stageContext (inputs: BuildInputs): Promise<{ dir: string, cleanup (): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bastion-toolbox-'))
  try {
    await cp(inputs.context, dir, { recursive: true })
    for (const [name, path] of Object.entries(inputs.binaries)) await copyFile(path, join(dir, name))
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw imageError('BASTION_ADMIN_IMAGE_CONTEXT_MISSING', `cannot copy the build context ${inputs.context}: ${(err as Error).message}`, err)
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

async function files (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort()
}
