// Files that setup manages: compared before anything is written, and written only when
// content, owner or mode differ, through a temporary file renamed into place so that no
// reader (systemd, sshd, a login) ever sees half a file. Content is text or, for the
// shell's Go binaries, bytes; both are compared byte for byte.
import { lstat, mkdir, readFile, rename, rm, writeFile, chmod, chown } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

export interface WantedFile {
  path: string
  content: string | Buffer
  // Always owned by root:root.
  mode: number
}

// What would change, in words, or undefined when the file is as wanted.
export async function diffFile (want: WantedFile): Promise<string | undefined> {
  let st
  try {
    st = await lstat(want.path)
  } catch {
    return `create ${want.path}`
  }
  if (!st.isFile()) return `replace ${want.path} (not a regular file)`
  const content = typeof want.content === 'string' ? Buffer.from(want.content) : want.content
  if (!(await readFile(want.path)).equals(content)) return `update ${want.path}`
  if (st.uid !== 0 || st.gid !== 0 || (st.mode & 0o7777) !== want.mode) return `set owner root:root and mode ${want.mode.toString(8)} on ${want.path}`
  return undefined
}

export async function putFile (want: WantedFile): Promise<string | undefined> {
  const change = await diffFile(want)
  if (change === undefined) return undefined
  if (change.startsWith('set owner')) {
    await chown(want.path, 0, 0)
    await chmod(want.path, want.mode)
    return change
  }
  await ensureDirs(dirname(want.path))
  const tmp = join(dirname(want.path), `.${basename(want.path)}.${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(tmp, want.content, { mode: want.mode, flag: 'wx' })
    await chown(tmp, 0, 0)
    await chmod(tmp, want.mode)
    await rename(tmp, want.path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  return change.replace(/^create/, 'wrote').replace(/^update/, 'updated').replace(/^replace (\S+).*/, 'replaced $1')
}

// mkdir -p with root-owned 0755 directories; existing ones are left as they are.
export async function ensureDirs (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 })
}
