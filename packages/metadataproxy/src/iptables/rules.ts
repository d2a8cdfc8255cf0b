// The iptables rules that keep IMDS fail-closed for containers on the bastion bridge,
// built as data so that install, check and remove all work from one list and the
// list itself can be tested without touching the kernel.
//
// Three layers, each enough on its own to keep a container away from the host's IMDS:
// 1. nat: traffic from the bridge to IMDS port 80 is DNATed to the proxy. When the proxy
//    is down the DNATed connection meets a closed port and gets a RST.
// 2. filter FORWARD (through DOCKER-USER): anything from the bridge still headed for
//    IMDS (the DNAT is missing, or another port) is rejected and never leaves the host.
// 3. filter INPUT: the proxy port on the proxy address answers only the bridge, so no
//    other interface can ask the proxy for a container's credentials; and the SYNs of
//    a container that holds its share of connections already are dropped, before the
//    proxy spends anything on them (a drop, not a reset: a reset made here, after the
//    DNAT, does not reach the container as one; a dropped SYN is sent again, so a
//    client that is only busy gets in once one of its own connections closes).
// The host guard (host-guard.ts) adds filter OUTPUT: of the host's own processes only
// the proxy's user and holders of the IMDS group reach the real IMDS.
// The egress policy (egress.ts) adds what else a container may reach, and no more.
//
// A rule with `reach` must be the first thing its traffic meets (or nothing ahead of it
// may accept that traffic); the periodic check walks the table to prove it and the
// repair moves the rule back to its position. Its args must be exactly as iptables -S
// prints them, since the walk finds the rule by its text.

import { isIPv4 } from 'node:net'
import { BastionError } from '../errors.ts'
import { egressRules, type EgressPolicy } from './egress.ts'
import { hostGuardRules, type HostGuard } from './host-guard.ts'
import type { Traffic } from './traffic.ts'

export const IMDS_ADDRESS = '169.254.169.254'
export const DEFAULT_CHAIN_PREFIX = 'BASTION-IMDS'

// filter6 is IPv6's filter table, through ip6tables.
export type Table = 'nat' | 'filter' | 'filter6'

export interface RuleOptions {
  /** Docker bridge interface of the bastion network, e.g. bastion0. */
  bridge: string
  /** IPv4 address the proxy listens on: the bridge's gateway, e.g. 10.250.0.1. */
  proxyAddress: string
  proxyPort: number
  imdsAddress?: typeof IMDS_ADDRESS
  /** Names our chains; only tests change it, so that they never touch the real ones. */
  chainPrefix?: string
  /** What containers may reach besides the proxy (network.egress, which ruleOptions always
   * passes); left out, the set is the IMDS rules alone, as their own unit tests build it. */
  egress?: EgressPolicy
  /** Whether the kernel has IPv6, so that ip6tables rules can (and must) be made; default true. */
  ipv6?: boolean
  /** Connections one container may hold to the proxy (imds.maxConnectionsPerSource): the
   * kernel drops the SYNs of more, so that a flood costs the proxy almost nothing. Left
   * out, only the proxy's own cap at accept applies (the rules' unit tests). */
  perSource?: number
  /** Who of the host's own processes may reach IMDS (metadataproxy.iptables.hostGuard, with the
   * accounts' ids); left out, the host's processes are left alone (hostGuard off, or unit tests). */
  host?: HostGuard
}

export interface ChainSpec {
  table: Table
  chain: string
  /** Owned chains are created, flushed and deleted by us; others (DOCKER-USER) are only created if missing. */
  owned: boolean
  description: string
}

export interface RuleSpec {
  table: Table
  chain: string
  /** Match and target arguments, in the order iptables-save prints them. */
  args: string[]
  /** Insert position (-I); every rule has one so that a repaired chain keeps its order. */
  position?: number
  /** The traffic that must reach this rule before anything else can accept it. */
  reach?: Traffic
  /** Someone else's rule as well (Docker's): added when missing, moved when bypassed, never removed. */
  shared?: boolean
  description: string
}

export interface RuleSet {
  chains: ChainSpec[]
  rules: RuleSpec[]
}

// Linux IFNAMSIZ is 16 including the NUL; iptables accepts a trailing + as a wildcard, we do not.
const interfaceName = /^[A-Za-z0-9_.-]{1,15}$/
// iptables chain names are at most 28 characters; the longest suffix we add is -INPUT.
const chainPrefixPattern = /^[A-Z][A-Z0-9_-]{0,21}$/

function invalid (key: string, why: string): BastionError {
  return new BastionError('BASTION_METADATAPROXY_CONFIG_INVALID', `iptables option ${key}: ${why}`)
}

// Checked here as well as in the config schema because these strings become argv for a
// root command: a bridge named "!" or "--flush" must never reach iptables.
function validate (opts: RuleOptions): void {
  if (!interfaceName.test(opts.bridge) || opts.bridge.startsWith('-')) {
    throw invalid('bridge', `${JSON.stringify(opts.bridge)} is not an interface name`)
  }
  if (!isIPv4(opts.proxyAddress)) {
    throw invalid('proxyAddress', `${JSON.stringify(opts.proxyAddress)} is not an IPv4 address`)
  }
  if (!Number.isInteger(opts.proxyPort) || opts.proxyPort < 1 || opts.proxyPort > 65535) {
    throw invalid('proxyPort', `${String(opts.proxyPort)} is not a TCP port`)
  }
  if (opts.imdsAddress !== undefined && opts.imdsAddress !== IMDS_ADDRESS) {
    throw invalid('imdsAddress', `must be ${IMDS_ADDRESS}`)
  }
  if (opts.perSource !== undefined && (!Number.isInteger(opts.perSource) || opts.perSource < 1)) {
    throw invalid('perSource', `${String(opts.perSource)} is not a positive whole number`)
  }
  if (opts.chainPrefix !== undefined && !chainPrefixPattern.test(opts.chainPrefix)) {
    throw invalid('chainPrefix', `${JSON.stringify(opts.chainPrefix)} is not a usable chain name`)
  }
}

// Order matters: chains first, then their contents, then the jumps into them, so a
// jump never points at a half-filled chain. Removal walks the same list backwards.
export function buildRules (opts: RuleOptions): RuleSet {
  validate(opts)
  const imds = `${opts.imdsAddress ?? IMDS_ADDRESS}/32`
  const prefix = opts.chainPrefix ?? DEFAULT_CHAIN_PREFIX
  const dnatChain = prefix
  const guardChain = `${prefix}-GUARD`
  const inputChain = `${prefix}-INPUT`
  const proxy = `${opts.proxyAddress}:${opts.proxyPort}`

  const chains: ChainSpec[] = [
    { table: 'nat', chain: dnatChain, owned: true, description: `nat chain ${dnatChain}` },
    // Docker creates DOCKER-USER too and reuses one that exists; if we start first we make it.
    { table: 'filter', chain: 'DOCKER-USER', owned: false, description: 'filter chain DOCKER-USER' },
    { table: 'filter', chain: guardChain, owned: true, description: `filter chain ${guardChain}` },
    { table: 'filter', chain: inputChain, owned: true, description: `filter chain ${inputChain}` }
  ]

  const rules: RuleSpec[] = [
    {
      table: 'nat',
      chain: dnatChain,
      args: ['-d', imds, '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', proxy],
      position: 1,
      description: `nat ${dnatChain}: DNAT IMDS port 80 to the proxy at ${proxy}`
    },
    {
      table: 'nat',
      chain: 'PREROUTING',
      args: ['-i', opts.bridge, '-j', dnatChain],
      // Before Docker's own PREROUTING jump, so nothing Docker adds can claim the packet first.
      position: 1,
      reach: { from: 'PREROUTING', in: opts.bridge, destination: opts.imdsAddress ?? IMDS_ADDRESS, protocol: 'tcp', dport: 80 },
      description: `nat PREROUTING: traffic from ${opts.bridge} jumps to ${dnatChain}`
    },
    {
      table: 'filter',
      chain: guardChain,
      args: ['-d', imds, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      position: 1,
      description: `filter ${guardChain}: reject TCP to IMDS with a reset`
    },
    {
      table: 'filter',
      chain: guardChain,
      args: ['-d', imds, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'],
      position: 2,
      description: `filter ${guardChain}: reject anything else to IMDS`
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      args: ['-j', 'DOCKER-USER'],
      // Docker's own jump, first in FORWARD, which dockerd puts back at every start. Without
      // it nothing reaches the guard, so we add it when it is missing, as dockerd would.
      position: 1,
      reach: { from: 'FORWARD', in: opts.bridge, destination: opts.imdsAddress ?? IMDS_ADDRESS },
      shared: true,
      description: 'filter FORWARD: everything jumps to DOCKER-USER (Docker\'s rule)'
    },
    {
      table: 'filter',
      chain: 'DOCKER-USER',
      args: ['-i', opts.bridge, '-j', guardChain],
      // First, ahead of the RETURN Docker appends, or the guard would never be reached.
      position: 1,
      reach: { from: 'FORWARD', in: opts.bridge, destination: opts.imdsAddress ?? IMDS_ADDRESS },
      description: `filter DOCKER-USER: traffic from ${opts.bridge} jumps to ${guardChain}`
    },
    {
      table: 'filter',
      chain: inputChain,
      args: ['!', '-i', opts.bridge, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      position: 1,
      description: `filter ${inputChain}: reject proxy connections not from ${opts.bridge}`
    },
    ...(opts.perSource === undefined
      ? []
      : [{
          table: 'filter' as const,
          chain: inputChain,
          args: ['-i', opts.bridge, '-p', 'tcp', '-m', 'tcp', '--tcp-flags', 'FIN,SYN,RST,ACK', 'SYN', '-m', 'connlimit', '--connlimit-above', String(opts.perSource), '--connlimit-mask', '32', '--connlimit-saddr', '-j', 'DROP'],
          position: 2,
          description: `filter ${inputChain}: drop a new connection from a container that holds ${opts.perSource} already`
        }]),
    {
      table: 'filter',
      chain: 'INPUT',
      args: ['-d', `${opts.proxyAddress}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(opts.proxyPort), '-j', inputChain],
      position: 1,
      // From any interface: an ACCEPT for lo or eth0 ahead of it would open the proxy to them.
      reach: { from: 'INPUT', destination: opts.proxyAddress, protocol: 'tcp', dport: opts.proxyPort },
      description: `filter INPUT: connections to the proxy at ${proxy} jump to ${inputChain}`
    }
  ]

  if (opts.egress !== undefined) {
    const egress = egressRules({ bridge: opts.bridge, proxyAddress: opts.proxyAddress, proxyPort: opts.proxyPort, prefix, policy: opts.egress, ipv6: opts.ipv6 ?? true })
    chains.push(...egress.chains)
    rules.push(...egress.rules)
  }
  if (opts.host !== undefined) {
    const guard = hostGuardRules({ ...opts.host, prefix, imdsAddress: opts.imdsAddress ?? IMDS_ADDRESS, ipv6: opts.ipv6 ?? true })
    chains.push(...guard.chains)
    rules.push(...guard.rules)
  }
  return { chains, rules }
}
