// The host guard: which of the host's own processes may reach IMDS (filter OUTPUT), as
// rules of the proxy's rule set (rules.ts), so that install, check, repair and remove
// cover them like the container rules.
//
// Without it any process on the bastion could fetch the instance role's credentials and
// assume any person's role (their trust policies trust the instance role). With it:
// - the proxy's own system user passes (it fetches the instance role's credentials and
//   passes a few paths through);
// - a process holding the IMDS group passes: the suite's root commands (`bastion`,
//   `bastion-rbacsync`) add it to their supplementary groups themselves, and nobody is a
//   member in /etc/group (doctor checks), so no login gets it;
// - everything else, root's other processes included, is rejected at once (a TCP reset,
//   so a client fails fast rather than waiting for a timeout).
// PREFIX-OUT for IPv4, and the same chain in ip6tables for IMDS's IPv6 address.

import { BastionError } from '../errors.ts'
import { IPV6_METADATA } from './egress.ts'
import type { ChainSpec, RuleSpec } from './rules.ts'

export interface HostGuard {
  /** uid of the proxy's own system user: never 0, or every root process would pass. */
  proxyUid: number
  /** gid of the group whose holders may reach IMDS (bastion-imds by default). */
  imdsGid: number
}

export interface HostGuardOptions extends HostGuard {
  prefix: string
  imdsAddress: string
  ipv6: boolean
}

function invalid (key: string, why: string): BastionError {
  return new BastionError('BASTION_METADATAPROXY_CONFIG_INVALID', `the host guard's ${key} ${why}`)
}

function id (value: number, key: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 4294967294) throw invalid(key, `${String(value)} is not a Unix id`)
  return String(value)
}

export function hostGuardRules (opts: HostGuardOptions): { chains: ChainSpec[], rules: RuleSpec[] } {
  const uid = id(opts.proxyUid, 'the proxy\'s uid')
  const gid = id(opts.imdsGid, 'the IMDS group\'s gid')
  if (opts.proxyUid === 0) throw invalid('proxy user', 'is root: the proxy must run as its own system user, or every root process on the host would reach IMDS')
  if (opts.imdsGid === 0) throw invalid('IMDS group', 'is group 0 (root): it must be a group of its own that nobody is a member of')
  const out = `${opts.prefix}-OUT`
  const tables = opts.ipv6 ? (['filter', 'filter6'] as const) : (['filter'] as const)
  const chains: ChainSpec[] = tables.map((table) => ({ table, chain: out, owned: true, description: `${table === 'filter6' ? 'ip6tables ' : ''}filter chain ${out}` }))
  const rules: RuleSpec[] = []
  for (const table of tables) {
    const name = table === 'filter6' ? 'ip6tables filter' : 'filter'
    const imds = table === 'filter6' ? `${IPV6_METADATA}/128` : `${opts.imdsAddress}/32`
    const unreachable = table === 'filter6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'
    const body: Array<{ args: string[], description: string }> = [
      { args: ['-m', 'owner', '--uid-owner', uid, '-j', 'RETURN'], description: "pass the proxy's own user" },
      { args: ['-m', 'owner', '--gid-owner', gid, '--suppl-groups', '-j', 'RETURN'], description: 'pass holders of the IMDS group' },
      { args: ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'], description: 'reset every other TCP connection' },
      { args: ['-j', 'REJECT', '--reject-with', unreachable], description: 'reject anything else' }
    ]
    rules.push(...body.map((r, i) => ({ table, chain: out, args: r.args, position: i + 1, description: `${name} ${out}: ${r.description}` })))
    rules.push({
      table,
      chain: 'OUTPUT',
      args: ['-d', imds, '-j', out],
      // First in OUTPUT: an ACCEPT ahead of it would let every host process through.
      position: 1,
      reach: table === 'filter' ? { from: 'OUTPUT', destination: opts.imdsAddress, protocol: 'tcp', dport: 80 } : { from: 'OUTPUT', destination: IPV6_METADATA },
      description: `${name} OUTPUT: the host's own traffic to IMDS jumps to ${out}`
    })
  }
  return { chains, rules }
}
