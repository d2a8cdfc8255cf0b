// Each person's container always gets the same address on the bastion network, so an
// address never passes from one person to another while anything may still remember
// it: the metadata proxy's index, a connection in flight, a log line. The metadata
// proxy already drops a container the moment Docker says it is gone (its index); this
// makes the race it guards against impossible to start with.
//
// The ledger is a directory under shell.stateDir, one file per address:
//   addresses/<ip>          {"user": ..., "uid": ...}: the claim, made with O_EXCL, so
//                           two logins of different people can never take one address
//   addresses/users/<name>  the ip, to find a person's own address in one read
//                           (<name>: the container's name, safe as a file name)
// The first address tried is derived from the uid, then the next ones in turn. An
// address is taken from its person only when every address is claimed, and then only
// one whose person has no container and has not used this bastion for
// shell.addressHoldHours.
import { open, readFile, readdir, rename, rm, stat, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hostAddresses } from '@bastion/config'
import type { ShellConfig } from '../config/schema.ts'
import type { Caller } from '../identity.ts'
import { ShellError } from '../errors.ts'
import { activityFile } from './activity.ts'
import { containerName } from './name.ts'

export function ledgerDir (config: { readonly shell: { readonly stateDir: string } }): string {
  return join(config.shell.stateDir, 'addresses')
}

// The addresses a person's container may get: every host address of network.subnet but
// the first, the gateway, where the proxy listens (the network and broadcast addresses
// are no host's).
export function poolOf (subnet: string): string[] {
  return hostAddresses(subnet).slice(1)
}

// The pool in the order a person's login tries it: from the place the uid names.
export function candidates (pool: readonly string[], uid: number): string[] {
  if (pool.length === 0) return []
  const start = ((uid % pool.length) + pool.length) % pool.length
  return [...pool.slice(start), ...pool.slice(0, start)]
}

interface Claim { user: string, uid: number }

export interface AddressFacts {
  // Addresses that some container on the network holds now, whoever made it.
  held: ReadonlySet<string>
  // Takes another person's lock without waiting and makes sure they have no container
  // (running or not): then their address may pass on while the lock is held, since
  // their own login can neither be claiming it nor starting a container on it. Gives
  // the lock's release, or undefined (the lock is held, or a container exists).
  idle: (user: string) => Promise<(() => Promise<void>) | undefined>
  now?: number
}

// The caller's address: theirs already, else a new claim. Call it under the person's
// lock (lockContainer), so that one person's logins never claim two.
export async function pinnedAddress (config: Readonly<ShellConfig>, caller: Caller, facts: AddressFacts): Promise<string> {
  const dir = ledgerDir(config)
  await mkdir(join(dir, 'users'), { recursive: true, mode: 0o700 })
  const pool = poolOf(config.network.subnet)
  const mine = await ownAddress(config, caller.user)
  if (mine !== undefined && pool.includes(mine) && !facts.held.has(mine)) return mine
  if (mine !== undefined && facts.held.has(mine)) {
    // Another container sits on it (not one of the bastion's: a person's own
    // container is removed before this is asked). The person moves: their old claim
    // goes, and the address is left to whoever holds it.
    await release(config, caller.user, mine)
  }
  for (const ip of candidates(pool, caller.uid)) {
    if (facts.held.has(ip)) continue
    if (await claim(dir, ip, caller)) return await remember(config, caller.user, ip)
  }
  for (const { ip, user } of await reclaimable(config, pool, facts)) {
    const unlock = await facts.idle(user)
    if (unlock === undefined) continue
    try {
      if (await takeOver(dir, ip, caller, user)) return await remember(config, caller.user, ip)
    } finally {
      await unlock()
    }
  }
  throw new ShellError('BASTION_SHELL_NO_ADDRESS',
    `every address of network.subnet ${config.network.subnet} (${pool.length}) is held by a container or belongs to a person who used this bastion in the last ${config.shell.addressHoldHours} h (shell.addressHoldHours); widen network.subnet or shorten the hold`)
}

// The address the ledger gives this person, if its claim is still theirs.
export async function ownAddress (config: Readonly<ShellConfig>, user: string): Promise<string | undefined> {
  const dir = ledgerDir(config)
  const ip = (await readFile(join(dir, 'users', containerName(user)), 'utf8').catch(() => '')).trim()
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) return undefined
  const claim = await readClaim(join(dir, ip))
  return claim?.user === user ? ip : undefined
}

async function readClaim (path: string): Promise<Claim | undefined> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Partial<Claim>
    return typeof c.user === 'string' && typeof c.uid === 'number' ? { user: c.user, uid: c.uid } : undefined
  } catch {
    return undefined
  }
}

async function claim (dir: string, ip: string, caller: Caller): Promise<boolean> {
  let file
  try {
    file = await open(join(dir, ip), 'wx', 0o600)
  } catch (err) {
    // Already claimed: by this person (their users/ file was lost), or by another.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readClaim(join(dir, ip)))?.user === caller.user
    throw err
  }
  try {
    await file.writeFile(JSON.stringify({ user: caller.user, uid: caller.uid } satisfies Claim) + '\n')
  } finally {
    await file.close()
  }
  return true
}

async function remember (config: Readonly<ShellConfig>, user: string, ip: string): Promise<string> {
  const path = join(ledgerDir(config), 'users', containerName(user))
  await writeFile(`${path}.tmp`, `${ip}\n`, { mode: 0o600 })
  await rename(`${path}.tmp`, path)
  return ip
}

async function release (config: Readonly<ShellConfig>, user: string, ip: string): Promise<void> {
  const dir = ledgerDir(config)
  if ((await readClaim(join(dir, ip)))?.user === user) await rm(join(dir, ip), { force: true })
  await rm(join(dir, 'users', containerName(user)), { force: true })
}

// Claimed addresses that may pass to someone else, the longest unused first: no
// container holds the address, and its person's last session (or, without one, the
// claim itself) is older than shell.addressHoldHours. The caller still makes sure,
// under that person's lock, that they have no container (facts.idle).
async function reclaimable (config: Readonly<ShellConfig>, pool: readonly string[], facts: AddressFacts): Promise<Array<{ ip: string, user: string }>> {
  const dir = ledgerDir(config)
  const now = facts.now ?? Date.now()
  const holdMs = config.shell.addressHoldHours * 3_600_000
  const inPool = new Set(pool)
  const found: Array<{ ip: string, user: string, last: number }> = []
  for (const ip of await readdir(dir)) {
    if (!inPool.has(ip) || facts.held.has(ip)) continue
    const claimed = await readClaim(join(dir, ip))
    // Unreadable: a claim being written, or damaged (then an operator's to remove).
    if (claimed === undefined) continue
    const claimedAt = await stat(join(dir, ip)).then((s) => s.mtimeMs, () => now)
    const used = await stat(activityFile(config, containerName(claimed.user))).then((s) => s.mtimeMs, () => claimedAt)
    const last = Math.max(used, claimedAt)
    if (now - last >= holdMs) found.push({ ip, user: claimed.user, last })
  }
  return found.sort((a, b) => a.last - b.last).map(({ ip, user }) => ({ ip, user }))
}

// Claims the address anew, if it is still the claim that was judged (of `user`). Done
// under that person's lock, so no other login moves the same claim meanwhile; a login
// that claims the freed address first keeps it, and this one tries the next.
async function takeOver (dir: string, ip: string, caller: Caller, user: string): Promise<boolean> {
  if ((await readClaim(join(dir, ip)))?.user !== user) return false
  await rm(join(dir, ip), { force: true })
  return await claim(dir, ip, caller)
}
