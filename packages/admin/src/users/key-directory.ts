// A person's SSH keys from a key directory (users.source: identity-center, whose
// identity store has no attribute for them): one file per person, named by their
// account name, in authorized_keys form, filled by an admin or an S3 sync as root.
// Fail closed: a directory that cannot be listed fails the read, and a file that
// someone other than root could have written (not a regular file, not root's, group-
// or world-writable) serves none of that person's keys and is reported (KeyFileRefused).
import { lstat, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KeyFileRefused, type KeySource } from './people.ts'

export function keyDirectory (dir: string): KeySource {
  let listed: Set<string> | undefined
  return {
    remembers: false,
    async activeKeys (name) {
      listed ??= new Set(await readdir(dir).catch((err: Error) => { throw new Error(`the key directory ${dir} cannot be read: ${err.message}`, { cause: err }) }))
      const out = new Map<string, string>()
      if (!listed.has(name)) return out
      const path = join(dir, name)
      const st = await lstat(path)
      if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
        throw new KeyFileRefused(`${path} is not a regular file of root's that only root may write: none of its keys are served`)
      }
      const lines = (await readFile(path, 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
      lines.forEach((l, i) => out.set(`${name}:${i}`, l))
      return out
    }
  }
}
