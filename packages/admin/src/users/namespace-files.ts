// The namespaces each person holds, for the toolbox's `kubens`: a namespace-tier user
// may not list namespaces cluster-wide, so kubens cannot ask the cluster which ones
// there are. `bastion users sync` writes one file per account that holds any, in
// `namespaces/` of shell.kubeconfigDir, which every container sees read-only at
// /etc/bastion/kube. Each file is root's with the person's own group and mode 0640, so
// in the containers only that person reads it (each runs as its person's uid and gid).
// One line per namespace: `<cluster> <namespace>`. The file only helps kubens list and
// check names; the cluster's RBAC is what grants or refuses.
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { NamespaceHeld } from './plan.ts'

export const NAMESPACES_SUBDIR = 'namespaces'

export function namespaceFileBody (held: readonly NamespaceHeld[]): string {
  const lines = [...new Set(held.map((h) => `${h.cluster} ${h.namespace}`))].sort()
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}

// Writes the file of every account that holds a namespace, and removes every other one
// (an account locked, or holding none any more). gidOf gives the account's own group.
// Nothing while the kubeconfig directory (dir's parent) does not exist: no container
// mounts it then, and `bastion kubeconfig write` makes it.
export async function writeNamespaceFiles (dir: string, held: ReadonlyMap<string, readonly NamespaceHeld[]>, gidOf: (name: string) => Promise<number>): Promise<{ written: number, removed: number }> {
  if (!await stat(dirname(dir)).then((s) => s.isDirectory(), () => false)) return { written: 0, removed: 0 }
  await mkdir(dir, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
  await chmod(dir, 0o755)
  let written = 0
  const kept = new Set<string>()
  for (const [name, list] of held) {
    const body = namespaceFileBody(list)
    if (body === '') continue
    kept.add(name)
    const path = join(dir, name)
    if (await readFile(path, 'utf8').catch(() => undefined) === body) continue
    const tmp = `${path}.tmp-${process.pid}`
    await writeFile(tmp, body, { mode: 0o640 })
    await chown(tmp, 0, await gidOf(name))
    await chmod(tmp, 0o640)
    await rename(tmp, path)
    written++
  }
  let removed = 0
  for (const entry of await readdir(dir)) {
    if (kept.has(entry)) continue
    await rm(join(dir, entry), { force: true })
    removed++
  }
  return { written, removed }
}
