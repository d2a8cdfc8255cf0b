// The host guard's two accounts, and their ids: the rules name numbers (iptables -S
// prints an owner match by uid and gid), so the names are looked up through NSS when the
// rule set is built. A missing account fails closed: no rules, no proxy.
import { execFileSync } from 'node:child_process'
import { IMDS_GROUP } from '@bastion/config/imds-group'
import { BastionError } from '../errors.ts'
import type { HostGuard } from './host-guard.ts'

// The proxy's own system user: its unit runs as it, and `bastion setup iptables` makes it.
export const PROXY_USER = 'bastion-metadataproxy'
// IMDS_GROUP: nobody is a member; the suite's root commands add it to their supplementary
// groups (@bastion/config's imds-group.ts) to reach IMDS for the instance role.
export { IMDS_GROUP }

export type IdLookup = (db: 'passwd' | 'group', name: string) => number | undefined

// getent exits 2 when the name is not there; anything else is a failure of the lookup.
export const getentLookup: IdLookup = (db, name) => {
  let out: string
  try {
    out = execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    if ((err as { status?: number }).status === 2) return undefined
    throw new BastionError('BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', `getent ${db} ${name} failed: ${(err as Error).message}`, { cause: err })
  }
  const id = Number(out.split(':')[2])
  return Number.isInteger(id) ? id : undefined
}

export function hostGuardIds (lookup: IdLookup = getentLookup): HostGuard {
  const proxyUid = lookup('passwd', PROXY_USER)
  const imdsGid = lookup('group', IMDS_GROUP)
  const fix = '`bastion setup iptables` makes both (or turn metadataproxy.iptables.hostGuard off, which doctor reports)'
  if (proxyUid === undefined) throw new BastionError('BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', `the proxy's system user ${PROXY_USER} does not exist; ${fix}`)
  if (imdsGid === undefined) throw new BastionError('BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', `the IMDS group ${IMDS_GROUP} does not exist; ${fix}`)
  return { proxyUid, imdsGid }
}

// For `iptables remove`, which finds our chains by name and the jumps by their target,
// never by the ids in them: taking the rules away must work with the accounts gone too.
export const anyIdLookup: IdLookup = () => 4294967294
