// Replacing a file that others read while it changes (the kubeconfig every container
// mounts, the config file, the image history): the new content goes to a temporary file
// beside it, reaches the disk, and is renamed over the old one, so a reader sees either
// the old file or the new one, never half of one. A file that already holds the content,
// with the mode asked for, is not touched at all.
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

// true when the file was (or, with dryRun, would be) written.
export async function writeIfChanged (path: string, text: string, mode: number, opts: { dryRun?: boolean } = {}): Promise<boolean> {
  const now = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (now === text) {
    if (((await stat(path)).mode & 0o7777) === mode) return false
    if (opts.dryRun !== true) await chmod(path, mode)
    return true
  }
  if (opts.dryRun !== true) await writeAtomically(path, text, mode)
  return true
}

// owner: keep the replaced file's uid and gid (the new file is otherwise the writer's).
export async function writeAtomically (path: string, text: string, mode: number, owner?: { uid: number, gid: number }): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`)
  try {
    const fh = await open(tmp, 'w', mode)
    try {
      await fh.writeFile(text)
      await fh.chmod(mode) // open's mode is filtered by the umask
      if (owner !== undefined) await fh.chown(owner.uid, owner.gid)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
