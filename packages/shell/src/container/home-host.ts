// The host's side of image-backed homes (home-image.ts): util-linux's mount and umount
// and e2fsprogs' mkfs.ext4, run as the broker (root) with a deadline each. node's
// execFile, as revoke.ts does, rather than execa: every login's worker loads this.
import { execFile } from 'node:child_process'
import { open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { HomeHost } from './home-image.ts'

export const MKFS = '/usr/sbin/mkfs.ext4'
export const MOUNT = '/usr/bin/mount'
export const UMOUNT = '/usr/bin/umount'

function run (cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (err, _stdout, stderr) => {
      if (err === null) resolve()
      else reject(new Error(`${cmd} ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`, { cause: err }))
    })
  })
}

export function systemHomeHost (timeoutMs: number): HomeHost {
  return {
    // A mount point is on another device than its parent directory.
    async mounted (path) {
      const [self, parent] = await Promise.all([stat(path), stat(dirname(path))])
      return self.dev !== parent.dev
    },
    async makeImage (image, sizeMb, from) {
      // Sparse: the image takes only the space its files use.
      const file = await open(image, 'wx', 0o600)
      try { await file.truncate(sizeMb * 1024 * 1024) } finally { await file.close() }
      // -m 0: no blocks kept for root, who is the agent in the container.
      try {
        await run(MKFS, ['-F', '-q', '-m', '0', ...(from === undefined ? [] : ['-d', from]), image], timeoutMs)
      } catch (err) {
        if (from !== undefined && /Could not allocate (block|inode)|No space left/i.test((err as Error).message)) return 'too-large'
        throw err
      }
      return 'made'
    },
    async mount (image, at) {
      await run(MOUNT, ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noatime', image, at], timeoutMs)
    },
    async unmount (at) {
      await run(UMOUNT, [at], timeoutMs)
    }
  }
}
