// The keys cache that sshd's AuthorizedKeysCommand reads (host/bastion-authorized-keys):
// one file per managed account with its active IAM keys, and `.valid-until`, the epoch
// second after which the command answers nothing. Only `bastion users sync` writes it,
// after a complete read of IAM, so an IAM outage keeps the last keys for at most
// users.keys.maxAgeSeconds, and a key made inactive in IAM stops at the next good sync.
import { chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

// host/bastion-authorized-keys names the same directory, user and files.
export const KEYS_DIR = '/var/lib/bastion/keys'

// The cache of one sync: KEYS_DIR, or KEYS_DIR-NAME with users.instance (markFor).
export function keysDirFor (instance?: string): string {
  return instance === undefined ? KEYS_DIR : `${KEYS_DIR}-${instance}`
}
export const KEYS_USER = 'bastion-keys'
export const VALID_UNTIL = '.valid-until'
const BODIES = '.key-bodies.json'

// Only plain public keys, each reduced to type and key: a body that carried options
// (command=, from=) would be obeyed by sshd. Every line gets `restrict,pty`, so that no
// forwarding is allowed whatever the sshd config says, and a terminal still is.
const KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,3})(?: .*)?$/

export function authorizedLines (keys: readonly string[]): { lines: string[], refused: number } {
  const lines: string[] = []
  let refused = 0
  for (const k of keys) {
    const m = KEY.exec(k.trim())
    if (m === null || k.includes('\n')) { refused++; continue }
    lines.push(`restrict,pty ${m[1]} ${m[2]}`)
  }
  return { lines, refused }
}

export interface CacheOwner { uid: number, gid: number }

// Writes every account's file, removes the files of accounts no longer served, then
// moves the deadline: a reader never sees a new deadline over old files.
export async function writeKeysCache (dir: string, keys: ReadonlyMap<string, readonly string[]>, validUntil: Date, owner: CacheOwner): Promise<{ written: number, removed: number }> {
  // The directories above must let the keys command's user through.
  await mkdir(dirname(dir), { recursive: true, mode: 0o755 })
  await mkdir(dir, { recursive: true, mode: 0o750 })
  await chown(dir, 0, owner.gid)
  await chmod(dir, 0o750)
  let written = 0
  for (const [name, lines] of keys) {
    const body = lines.length === 0 ? '' : lines.join('\n') + '\n'
    if (await readFile(join(dir, name), 'utf8').catch(() => undefined) === body) continue
    await atomicWrite(join(dir, name), body, owner)
    written++
  }
  let removed = 0
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.') || keys.has(entry)) continue
    await rm(join(dir, entry), { force: true })
    removed++
  }
  await atomicWrite(join(dir, VALID_UNTIL), `${Math.floor(validUntil.getTime() / 1000)}\n`, owner)
  return { written, removed }
}

// The key bodies seen before, by key id (root's alone: it is not for the keys command).
export async function readKnownBodies (dir: string): Promise<Map<string, string>> {
  try {
    const o = JSON.parse(await readFile(join(dir, BODIES), 'utf8')) as Record<string, unknown>
    return new Map(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return new Map()
  }
}

export async function writeKnownBodies (dir: string, bodies: ReadonlyMap<string, string>): Promise<void> {
  await atomicWrite(join(dir, BODIES), JSON.stringify(Object.fromEntries(bodies)) + '\n', { uid: 0, gid: 0 }, 0o600)
}

async function atomicWrite (path: string, body: string, owner: CacheOwner, mode = 0o640): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, body, { mode })
  await chown(tmp, owner.uid, owner.gid)
  await chmod(tmp, mode)
  await rename(tmp, path)
}
