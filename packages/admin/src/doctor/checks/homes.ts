// Whether homes have a size limit (shell.homes.sizeMb) and whether this host can
// enforce it: each home is then an ext4 image the broker makes with mkfs.ext4 and
// loop-mounts (docs/shell/homes.md). No limit: a warning, since logins work but one
// user can fill shell.homeRoot's filesystem for everyone. A limit the host cannot
// enforce (no mkfs.ext4, no loop device, no ext4 in the kernel): a problem, since the
// broker then refuses the logins of users without an image (BASTION_SHELL_HOME_UNAVAILABLE).
// And a warning when the images together could grow past the space left for them.
import { readdir, readFile, stat, statfs } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ok, problems, warnings, type Check, type Problem } from '../check.ts'

// The files the check reads, narrow so that unit tests give their own.
export interface HomesFs {
  // /proc/filesystems.
  filesystems (): Promise<string>
  // MiB free for unprivileged use on the filesystem holding `path` (or its nearest existing parent).
  freeMb (path: string): Promise<number>
  entries (dir: string): Promise<string[]>
  // An image's apparent size and the space it takes now, in MiB; undefined if absent.
  image (path: string): Promise<{ sizeMb: number, usedMb: number } | undefined>
}

const MB = 1024 * 1024

export const systemHomesFs: HomesFs = {
  filesystems: () => readFile('/proc/filesystems', 'utf8'),
  async freeMb (path) {
    for (let p = path; ; p = dirname(p)) {
      const s = await statfs(p).catch(() => undefined)
      if (s !== undefined) return (s.bavail * s.bsize) / MB
      if (p === dirname(p)) return 0
    }
  },
  entries: (dir) => readdir(dir).catch(() => []),
  image: (path) => stat(path).then((s) => ({ sizeMb: s.size / MB, usedMb: (s.blocks * 512) / MB }), () => undefined)
}

export const MKFS = '/usr/sbin/mkfs.ext4'
export const LOSETUP = '/usr/sbin/losetup'
const DOCS = 'docs/shell/homes.md'

export function homesCheckWith (fs: HomesFs): Check {
  return {
    name: 'homes',
    summary: 'homes have a size limit (shell.homes.sizeMb) that this host can enforce, with room for it',
    async run (ctx) {
      const s = ctx.config.shell.shell
      const sizeMb = s.homes.sizeMb
      if (sizeMb === 0) {
        return warnings([{ problem: `homes have no size limit (shell.homes.sizeMb is 0): one user can fill the filesystem of ${s.homeRoot} for every user`, fix: `set shell.homes.sizeMb (each home becomes an ext4 image of that size; ${DOCS}), and keep ${s.homeRoot} apart from the audit trail's filesystem` }])
      }
      const found: Problem[] = []
      const mkfs = await ctx.exec.run(MKFS, ['-V'], { timeoutMs: 10_000 }).catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: (err as Error).message }))
      if (mkfs.exitCode !== 0) found.push({ problem: `${MKFS} does not run (${oneLine(mkfs.stderr) || `exit ${mkfs.exitCode}`}), so no home image can be made and new users' logins are refused (shell.homes.sizeMb: ${sizeMb})`, fix: 'apt-get install e2fsprogs' })
      // -f names the first free loop device: the kernel has loop devices to give.
      const loop = await ctx.exec.run(LOSETUP, ['-f'], { timeoutMs: 10_000 }).catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: (err as Error).message }))
      if (loop.exitCode !== 0) found.push({ problem: `no loop device can be had (${LOSETUP} -f: ${oneLine(loop.stderr) || `exit ${loop.exitCode}`}), so no home image can be mounted and logins are refused (shell.homes.sizeMb: ${sizeMb})`, fix: 'modprobe loop (and add loop to /etc/modules); in a container, give it /dev/loop-control and the loop devices' })
      if (!/\text4$/m.test(await fs.filesystems())) found.push({ problem: 'the kernel has no ext4 (not in /proc/filesystems), so no home image can be mounted and logins are refused', fix: 'modprobe ext4 (and add it to /etc/modules)' })
      if (found.length > 0) return problems(found)
      // What the images may still grow by: the rest of each one's size, and a whole
      // image for each home that has none yet.
      const imagesDir = join(s.homeRoot, '.images')
      let growMb = 0
      let homes = 0
      for (const user of (await fs.entries(s.homeRoot)).filter((e) => !e.startsWith('.'))) {
        homes++
        const image = await fs.image(join(imagesDir, `${user}.img`))
        growMb += image === undefined ? sizeMb : Math.max(0, image.sizeMb - image.usedMb)
      }
      const freeMb = await fs.freeMb(imagesDir)
      if (growMb > freeMb) {
        return warnings([{ problem: `the ${homes} homes in ${s.homeRoot} may grow by ${Math.round(growMb)} MiB in all (shell.homes.sizeMb: ${sizeMb} each), but only ${Math.round(freeMb)} MiB are free there: users together can still fill it, and a full filesystem gives them ENOSPC below their limit`, fix: `give ${s.homeRoot} more space, or lower shell.homes.sizeMb (it applies to new images)` }])
      }
      return ok(`each home is an ext4 image of ${sizeMb} MiB, mounted at login (${homes} homes, ${Math.round(growMb)} MiB of growth in ${Math.round(freeMb)} MiB free)`)
    }
  }
}

function oneLine (s: string): string {
  return s.trim().split('\n').slice(-2).join(' / ')
}

export const homesCheck = homesCheckWith(systemHomesFs)
