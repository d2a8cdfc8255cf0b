// Whether one rule, as `iptables -S` prints it, matches the traffic one of our rules is
// there to catch: surely, surely not, or maybe. Only what can be decided from the rule's
// own text is decided; any match we do not model (conntrack, addrtype, owner, marks, an
// out interface) is "maybe", so that the reachability check errs on the side of drift.
import { BlockList, isIPv4 } from 'node:net'

/** The packets a rule of ours must see first. Unset fields are unknown (any value). */
export interface Traffic {
  /** Built-in chain the packets enter by, in the rule's table. */
  from: 'PREROUTING' | 'FORWARD' | 'INPUT' | 'OUTPUT'
  /** In interface; unset for OUTPUT or when it may be any. */
  in?: string
  destination: string
  protocol?: 'tcp' | 'udp'
  dport?: number
}

export type Match = 'yes' | 'no' | 'maybe'

export interface ParsedRule {
  matches: string[]
  /** -j or -g, and its target; undefined for a rule without one. */
  jump?: { kind: '-j' | '-g', target: string }
}

// iptables -S prints matches first, then the target and its options.
export function parseRule (args: readonly string[]): ParsedRule {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if ((a === '-j' || a === '-g') && args[i + 1] !== undefined) {
      return { matches: args.slice(0, i), jump: { kind: a, target: args[i + 1] as string } }
    }
  }
  return { matches: [...args] }
}

function inCidr (address: string, cidr: string): boolean | undefined {
  const [net, bits = '32'] = cidr.split('/')
  if (net === undefined || !isIPv4(net) || !isIPv4(address)) return undefined
  const list = new BlockList()
  list.addSubnet(net, Number(bits), 'ipv4')
  return list.check(address, 'ipv4')
}

function inPorts (port: number, spec: string): boolean {
  return spec.split(',').some((part) => {
    const [lo, hi = lo] = part.split(':')
    return port >= Number(lo === '' ? 0 : lo) && port <= Number(hi === '' ? 65535 : hi)
  })
}

function interfaceIs (name: string, pattern: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern
}

const ignored = new Set(['-m', '--comment'])

// One match option and its value against the traffic; undefined when unknown.
function decide (option: string, value: string, traffic: Traffic): boolean | undefined {
  switch (option) {
    case '-i': return traffic.in === undefined ? undefined : interfaceIs(traffic.in, value)
    case '-d': return inCidr(traffic.destination, value)
    case '-p':
      if (value === 'all') return true
      return traffic.protocol === undefined ? undefined : value === traffic.protocol
    case '--dport':
    case '--dports':
    case '--destination-port':
      return traffic.dport === undefined ? undefined : inPorts(traffic.dport, value)
    default: return undefined
  }
}

export function matchTraffic (matches: readonly string[], traffic: Traffic): Match {
  let result: Match = 'yes'
  for (let i = 0; i < matches.length; i++) {
    let negate = false
    if (matches[i] === '!') { negate = true; i++ }
    const option = matches[i] as string
    // Options take the words up to the next option or negation (a flag takes none).
    const values: string[] = []
    while (i + 1 < matches.length && !(matches[i + 1] as string).startsWith('-') && matches[i + 1] !== '!') values.push(matches[++i] as string)
    if (ignored.has(option)) continue
    const decided = values.length === 1 ? decide(option, values[0] as string, traffic) : undefined
    if (decided === undefined) { result = 'maybe'; continue }
    if (decided === negate) return 'no'
  }
  return result
}
