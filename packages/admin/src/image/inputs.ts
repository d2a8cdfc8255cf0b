// What a toolbox build is made from: the Dockerfile's directory (images/toolbox of the
// installed suite, or toolbox.context), the build arguments, and for the offline build
// the k9s binary it copies in. Their hash, stored as an image label, is how a rebuild
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

export interface BuildInputs {
  flavor: Flavor
  context: string
  dockerfile: string
  buildArgs: Record<string, string>
  k9s: string | undefined // offline only
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
  let k9s: string | undefined
  if (flavor === 'offline') {
    k9s = toolbox.offline.k9s
    try {
      await access(k9s, constants.X_OK)
    } catch (err) {
      throw imageError('BASTION_ADMIN_IMAGE_CONTEXT_MISSING', `the offline build copies in k9s from ${k9s}, which is not an executable file (${(err as NodeJS.ErrnoException).code ?? 'error'}); build it with \`go install github.com/derailed/k9s@<version>\` and set toolbox.offline.k9s, or use --production`, err)
    }
  }
  const h = createHash('sha256')
  h.update(JSON.stringify({ flavor, dockerfile, buildArgs })).update('\0')
  for (const file of await files(contextDir)) {
    const s = await stat(join(contextDir, file))
    h.update(`${file}\0${s.mode & 0o111 ? 'x' : '-'}\0`).update(await readFile(join(contextDir, file))).update('\0')
  }
  if (k9s !== undefined) h.update('k9s\0').update(await readFile(k9s))
  return { flavor, context: contextDir, dockerfile, buildArgs, k9s, hash: `sha256:${h.digest('hex')}` }
}

// A copy of the context to build from, with k9s in it for the offline build.
export async function stageContext (inputs: BuildInputs): Promise<{ dir: string, cleanup (): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bastion-toolbox-'))
  try {
    await cp(inputs.context, dir, { recursive: true })
    if (inputs.k9s !== undefined) await copyFile(inputs.k9s, join(dir, 'k9s'))
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
