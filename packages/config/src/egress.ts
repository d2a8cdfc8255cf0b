// The `network.egress` section: what a personal container may reach besides the
// metadata proxy. The proxy turns it into iptables rules (its iptables/egress.ts);
// the denials that are not configurable (the host's other metadata endpoints, the
// other containers, IPv6) are described there.
import { Type, type Static } from '@sinclair/typebox'

// Dotted quad with an optional prefix length; the proxy checks each octet again.
const IPV4 = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}'
export const IPV4_PATTERN = `^${IPV4}$`
export const IPV4_CIDR_PATTERN = `^${IPV4}(/([0-9]|[12][0-9]|3[0-2]))?$`

const Ports = (proto: string) => Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), {
  minItems: 1,
  // iptables' multiport match takes at most 15 ports.
  maxItems: 15,
  uniqueItems: true,
  description: `Only these ${proto} ports of that destination (give tcp, udp or both; neither: every protocol and port)`
})

export const EgressAllow = Type.Object({
  to: Type.String({ pattern: IPV4_CIDR_PATTERN, description: 'IPv4 address or CIDR, e.g. 10.253.0.1/32' }),
  tcp: Type.Optional(Ports('TCP')),
  udp: Type.Optional(Ports('UDP'))
}, { additionalProperties: false })

export const EgressSection = Type.Object({
  default: Type.Union([Type.Literal('accept'), Type.Literal('reject')], { default: 'accept', description: 'Destinations no rule below names: accept (the internet and the networks the host routes to) or reject (only what allow and dns list)' }),
  allow: Type.Array(EgressAllow, { default: [], description: "Destinations a container may reach although the default denies them, such as a service on one of the host's own addresses" }),
  deny: Type.Array(Type.String({ pattern: IPV4_CIDR_PATTERN }), { default: [], uniqueItems: true, description: 'Further IPv4 CIDRs no container may reach, e.g. an internal admin network' }),
  dns: Type.Array(Type.String({ pattern: IPV4_PATTERN }), { default: [], uniqueItems: true, description: "Resolvers that Docker's embedded DNS forwards containers' queries to, when the rules would deny them (UDP and TCP port 53)" })
}, { additionalProperties: false, default: {} })

export type Egress = Static<typeof EgressSection>
export type EgressAllowEntry = Static<typeof EgressAllow>
