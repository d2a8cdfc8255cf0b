// The egress policy of the bastion bridge: what a personal container may reach besides
// the proxy, as rules of the proxy's own rule set (rules.ts), so that install, check,
// repair and remove cover them like the IMDS rules.
//
// Two chains for IPv4, one for IPv6:
// - PREFIX-FWD (from DOCKER-USER, for traffic the host forwards): the other AWS
//   metadata endpoints and the other containers of the network are rejected first and
//   always; then DNS to the configured resolvers and the configured allows pass; then
//   the link-local range and the configured denials are rejected; what is left follows
//   `default`. "Pass" is RETURN, never ACCEPT, so Docker's own rules still apply after
//   ours, among them the isolation that keeps other Docker networks apart.
// - PREFIX-HOST (from INPUT, for traffic to the host itself, on any of its addresses):
//   only replies, the proxy's port on the gateway (where the IMDS DNAT leads), DNS to
//   the configured resolvers and the configured allows; everything else is rejected.
// - PREFIX-V6 (ip6tables, from INPUT and FORWARD): all IPv6 from or to the bridge is
//   rejected. The proxy serves IPv4 only (fd00:ec2::254 is never answered) and refuses
//   a network with IPv6 on, so a container has no use for IPv6; this also closes the
//   link-local addresses that would otherwise reach neighbours and the host past ICC.

import { isIPv4 } from 'node:net'
import { BastionError } from '../errors.ts'
import type { ChainSpec, RuleSpec } from './rules.ts'

// The other metadata endpoints a host may have (ECS task credentials, EKS Pod
// Identity). No configuration opens them.
export const OTHER_METADATA_ENDPOINTS = ['169.254.170.2', '169.254.170.23'] as const
export const LINK_LOCAL = '169.254.0.0/16'
// IMDS's IPv6 address on Nitro instances.
export const IPV6_METADATA = 'fd00:ec2::254'

export interface EgressAllow { to: string, tcp?: readonly number[], udp?: readonly number[] }

export interface EgressPolicy {
  default: 'accept' | 'reject'
  allow: readonly EgressAllow[]
  deny: readonly string[]
  dns: readonly string[]
}

export const DEFAULT_EGRESS: EgressPolicy = { default: 'accept', allow: [], deny: [], dns: [] }

export interface EgressOptions {
  bridge: string
  proxyAddress: string
  proxyPort: number
  prefix: string
  policy: EgressPolicy
  /** Whether the kernel has IPv6 (ip6tables then has tables to put rules in). */
  ipv6: boolean
}

const REJECT = ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']
const RETURN = ['-j', 'RETURN']

function invalid (key: string, why: string): BastionError {
  return new BastionError('BASTION_METADATAPROXY_CONFIG_INVALID', `network.egress.${key}: ${why}`)
}

// These strings become argv for a root command: checked here as well as by the schema.
function cidr (value: string, key: string): string {
  const [addr = '', bits, ...rest] = value.split('/')
  const n = bits === undefined ? 32 : Number(bits)
  if (!isIPv4(addr) || rest.length > 0 || (bits !== undefined && !/^[0-9]{1,2}$/.test(bits)) || n > 32) {
    throw invalid(key, `${JSON.stringify(value)} is not an IPv4 address or CIDR`)
  }
  return `${addr}/${n}`
}

function ports (list: readonly number[] | undefined, key: string): string | undefined {
  if (list === undefined) return undefined
  if (list.length === 0 || list.length > 15 || list.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw invalid(key, 'must list 1 to 15 ports between 1 and 65535')
  }
  return list.join(',')
}

// The match arguments of one allowed destination: one rule per protocol it names, or
// one for every protocol.
function allowMatches (entry: EgressAllow, i: number): Array<{ args: string[], what: string }> {
  const to = cidr(entry.to, `allow.${i}.to`)
  const tcp = ports(entry.tcp, `allow.${i}.tcp`)
  const udp = ports(entry.udp, `allow.${i}.udp`)
  if (tcp === undefined && udp === undefined) return [{ args: ['-d', to], what: to }]
  const out: Array<{ args: string[], what: string }> = []
  if (tcp !== undefined) out.push({ args: ['-d', to, '-p', 'tcp', '-m', 'multiport', '--dports', tcp], what: `${to} tcp ${tcp}` })
  if (udp !== undefined) out.push({ args: ['-d', to, '-p', 'udp', '-m', 'multiport', '--dports', udp], what: `${to} udp ${udp}` })
  return out
}

function dnsMatches (resolver: string, i: number): Array<{ args: string[], what: string }> {
  if (!isIPv4(resolver)) throw invalid(`dns.${i}`, `${JSON.stringify(resolver)} is not an IPv4 address`)
  return ['udp', 'tcp'].map((p) => ({ args: ['-d', `${resolver}/32`, '-p', p, '-m', p, '--dport', '53'], what: `DNS to ${resolver} (${p})` }))
}

export function egressRules (opts: EgressOptions): { chains: ChainSpec[], rules: RuleSpec[] } {
  const { bridge, prefix, policy } = opts
  const fwd = `${prefix}-FWD`
  const host = `${prefix}-HOST`
  const v6 = `${prefix}-V6`
  const passes = [...policy.dns.flatMap(dnsMatches), ...policy.allow.flatMap(allowMatches)]

  const chains: ChainSpec[] = [
    { table: 'filter', chain: fwd, owned: true, description: `filter chain ${fwd}` },
    { table: 'filter', chain: host, owned: true, description: `filter chain ${host}` }
  ]
  if (opts.ipv6) chains.push({ table: 'filter6', chain: v6, owned: true, description: `ip6tables filter chain ${v6}` })

  const forward: Array<{ args: string[], description: string }> = [
    ...OTHER_METADATA_ENDPOINTS.map((ip) => ({ args: ['-d', `${ip}/32`, ...REJECT], description: `reject the metadata endpoint ${ip}` })),
    { args: ['-o', bridge, ...REJECT], description: `reject other containers on ${bridge}` },
    ...passes.map((p) => ({ args: [...p.args, ...RETURN], description: `pass ${p.what}` })),
    { args: ['-d', LINK_LOCAL, ...REJECT], description: `reject the link-local range ${LINK_LOCAL}` },
    ...policy.deny.map((d, i) => {
      const to = cidr(d, `deny.${i}`)
      return { args: ['-d', to, ...REJECT], description: `reject ${to}` }
    }),
    ...(policy.default === 'reject' ? [{ args: REJECT, description: 'reject everything else (default: reject)' }] : [])
  ]
  const toHost: Array<{ args: string[], description: string }> = [
    { args: ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...RETURN], description: 'pass replies' },
    { args: ['-d', `${opts.proxyAddress}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(opts.proxyPort), ...RETURN], description: `pass the proxy at ${opts.proxyAddress}:${opts.proxyPort}` },
    ...passes.map((p) => ({ args: [...p.args, ...RETURN], description: `pass ${p.what}` })),
    { args: REJECT, description: "reject every other port of the host's addresses" }
  ]

  const rules: RuleSpec[] = [
    ...forward.map((r, i) => ({ table: 'filter' as const, chain: fwd, args: r.args, position: i + 1, description: `filter ${fwd}: ${r.description}` })),
    ...toHost.map((r, i) => ({ table: 'filter' as const, chain: host, args: r.args, position: i + 1, description: `filter ${host}: ${r.description}` })),
    // Second, right after the IMDS guard's jump (rules.ts), ahead of Docker's RETURN.
    // The traffic it must see first: the metadata endpoint no rule may open.
    {
      table: 'filter', chain: 'DOCKER-USER', args: ['-i', bridge, '-j', fwd], position: 2,
      reach: { from: 'FORWARD', in: bridge, destination: OTHER_METADATA_ENDPOINTS[0] },
      description: `filter DOCKER-USER: traffic from ${bridge} jumps to ${fwd}`
    },
    // Second, right after the proxy port's jump (rules.ts); it must see any port of the host.
    {
      table: 'filter', chain: 'INPUT', args: ['-i', bridge, '-j', host], position: 2,
      reach: { from: 'INPUT', in: bridge, destination: opts.proxyAddress },
      description: `filter INPUT: traffic from ${bridge} to the host jumps to ${host}`
    }
  ]
  if (opts.ipv6) {
    rules.push(
      { table: 'filter6', chain: v6, args: ['-j', 'REJECT', '--reject-with', 'icmp6-adm-prohibited'], position: 1, description: `ip6tables filter ${v6}: reject all IPv6` },
      { table: 'filter6', chain: 'INPUT', args: ['-i', bridge, '-j', v6], position: 1, reach: { from: 'INPUT', in: bridge, destination: IPV6_METADATA }, description: `ip6tables filter INPUT: IPv6 from ${bridge} jumps to ${v6}` },
      { table: 'filter6', chain: 'FORWARD', args: ['-i', bridge, '-j', v6], position: 1, reach: { from: 'FORWARD', in: bridge, destination: IPV6_METADATA }, description: `ip6tables filter FORWARD: IPv6 from ${bridge} jumps to ${v6}` },
      { table: 'filter6', chain: 'FORWARD', args: ['-o', bridge, '-j', v6], position: 2, description: `ip6tables filter FORWARD: IPv6 to ${bridge} jumps to ${v6}` }
    )
  }
  return { chains, rules }
}
