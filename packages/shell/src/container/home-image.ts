// Homes with a size limit (shell.homes.sizeMb). This kernel-independent way was chosen
// over quotas: user quotas need quota support the host's kernel or filesystem may lack
// (and cannot be tested where it does), a project quota can be left by the file's
// owner (`chattr -p`), and a btrfs qgroup by making a subvolume. So each home is an
// ext4 filesystem of its own, in a sparse image file of that size under
// <homeRoot>/.images (root's alone), that root loop-mounts nosuid,nodev on the home
// directory before the container is created or started, so its bind mount sees it. A
// user who fills it gets ENOSPC in their container, and nothing else is touched: the
// audit trail, the recordings and the other homes are on other filesystems.
//
// Every step runs under the user's container lock (container/manager.ts), so two
// logins at once mount it once; a mount that outlived a broker restart is reused. A
// home with files when the limit is first turned on is copied into its new image
// (refused, with nothing changed, when it does not fit); an image, once made, stays
// the home even if the limit is later turned off. See docs/shell/homes.md.
import { chmod, chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { ShellConfig } from '../config/schema.ts'
import type { Caller } from '../identity.ts'
import { ShellError } from '../errors.ts'

// What the host does for an image-backed home: mount(8), umount(8) and mkfs.ext4(8).
export interface HomeHost {
  // Whether a filesystem is mounted on the directory `path`.
  mounted (path: string): Promise<boolean>
  // A new ext4 image of `sizeMb` MiB at `image`, holding a copy of `from` when given.
  // 'too-large': `from` does not fit.
  makeImage (image: string, sizeMb: number, from: string | undefined): Promise<'made' | 'too-large'>
  // Loop-mounts the image on `at` (nosuid, nodev), reusing its loop device if it has one.
  mount (image: string, at: string): Promise<void>
  unmount (at: string): Promise<void>
}

export const IMAGES_DIR = '.images'

export function imageOf (config: Readonly<ShellConfig>, user: string): string {
  return join(config.shell.homeRoot, IMAGES_DIR, `${user}.img`)
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false)

// Whether the user's home is (or is to be) an image: the limit is on, or an image was
// made while it was. The container's configuration hash includes it.
export async function homeIsImage (config: Readonly<ShellConfig>, user: string): Promise<boolean> {
  return config.shell.homes.sizeMb > 0 || await exists(imageOf(config, user))
}

// The user's home, ready for their container and owned by them: a plain directory, or
// their image mounted on it (made first, with their files, if there is none yet).
export async function ensureHome (config: Readonly<ShellConfig>, caller: Caller, host: HomeHost, log: Logger): Promise<string> {
  const home = join(config.shell.homeRoot, caller.user)
  await mkdir(home, { recursive: true, mode: 0o700 })
  if (await homeIsImage(config, caller.user) && !await host.mounted(home)) {
    const image = imageOf(config, caller.user)
    if (!await exists(image)) await makeImage(config, home, image, host, log)
    try {
      await host.mount(image, home)
    } catch (err) {
      throw new ShellError('BASTION_SHELL_HOME_UNAVAILABLE', `the home image ${image} could not be mounted on ${home}: ${(err as Error).message} (check it with e2fsck -f ${image})`, { cause: err })
    }
    log.info({ home, image }, 'mounted the home image')
  }
  // Also gives back the home of a user let in again after losing access (revoke.ts).
  await chown(home, caller.uid, caller.gid)
  await chmod(home, 0o700)
  return home
}

// A new image for the home, with what the home holds: made aside and renamed into
// place, so that a failure leaves no image, and the files where they were.
async function makeImage (config: Readonly<ShellConfig>, home: string, image: string, host: HomeHost, log: Logger): Promise<void> {
  const { sizeMb } = config.shell.homes
  const dir = join(config.shell.homeRoot, IMAGES_DIR)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chown(dir, 0, 0)
  await chmod(dir, 0o700)
  const files = await readdir(home)
  const aside = `${image}.new`
  await rm(aside, { force: true })
  let made: 'made' | 'too-large'
  try {
    made = await host.makeImage(aside, sizeMb, files.length > 0 ? home : undefined)
  } catch (err) {
    await rm(aside, { force: true })
    throw new ShellError('BASTION_SHELL_HOME_UNAVAILABLE', `the home image ${image} (shell.homes.sizeMb: ${sizeMb}) could not be made: ${(err as Error).message}`, { cause: err })
  }
  if (made === 'too-large') {
    await rm(aside, { force: true })
    throw new ShellError('BASTION_SHELL_HOME_TOO_LARGE', `the files in ${home} do not fit in ${sizeMb} MiB (shell.homes.sizeMb): they stay where they are, and no image was made; make room in it or raise the limit`)
  }
  await rename(aside, image)
  // The files are in the image now; left below the mount, they would take the space
  // the limit is there to keep.
  for (const f of files) await rm(join(home, f), { recursive: true, force: true })
  log.info({ home, image, sizeMb, copied: files.length > 0 }, files.length > 0 ? 'made the home image, with the files the home held' : 'made the home image')
}

// Unmounts the user's image, if mounted (revoke.ts, once their container is gone).
// True when it was.
export async function releaseHome (config: Readonly<ShellConfig>, user: string, host: HomeHost): Promise<boolean> {
  const home = join(config.shell.homeRoot, user)
  if (!await host.mounted(home)) return false
  await host.unmount(home)
  return true
}
