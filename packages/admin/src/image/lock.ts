// One `bastion image` command at a time changes the configured image and its history:
// an exclusive lock file beside the history file. A lock left by a dead process is
// taken over; one held by a live process for longer than the wait is an error.
import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { imageError } from './errors.ts'

export async function withLock<T> (path: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644)
      await fh.writeFile(String(process.pid))
      await fh.close()
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number(await readFile(path, 'utf8').catch(() => 'NaN'))
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      await rm(path, { force: true })
      continue
    }
    if (Date.now() > deadline) throw imageError('BASTION_ADMIN_IMAGE_BUSY', `${path} is held by process ${Number.isNaN(holder) ? '(unknown)' : holder}; wait for it, or remove the file if no bastion image command runs`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  try {
    return await fn()
  } finally {
    await rm(path, { force: true })
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
