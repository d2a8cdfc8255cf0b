// Whether traffic reaches one of our rules, from the table as `iptables -S` prints it:
// `iptables -C` only says that a rule exists, not that packets get to it. The walk
// follows the traffic from its built-in chain through every rule ahead of ours and every
// chain they jump to. A rule that may match and may let the traffic go elsewhere (ACCEPT,
// RETURN, a DNAT, a target we do not know) bypasses ours; one that can only drop or
// reject it keeps fail-closed and is fine.
import { matchTraffic, parseRule, type Traffic } from './traffic.ts'

export type Dump = string[][]

interface Chain { policy?: string, rules: string[][] }

export type Reach = { reached: true } | { reached: false, culprit: string }

type Outcome = 'reached' | 'dropped' | 'open' | 'fallthrough'

// Targets that let the packet go on to the next rule.
const CONTINUES = new Set(['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'TRACE', 'CT', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TCPMSS', 'NOTRACK', 'SECMARK', 'CONNSECMARK'])
const DROPS = new Set(['DROP', 'REJECT'])
const MAX_DEPTH = 16

export function chainsOf (dump: Dump): Map<string, Chain> {
  const chains = new Map<string, Chain>()
  for (const [op, name, ...rest] of dump) {
    if (name === undefined) continue
    if (op === '-P') chains.set(name, { policy: rest[0] as string, rules: chains.get(name)?.rules ?? [] })
    else if (op === '-N') chains.set(name, { rules: chains.get(name)?.rules ?? [] })
    else if (op === '-A') chains.get(name)?.rules.push(rest)
  }
  return chains
}

export const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((w, i) => w === b[i])

// Walks `traffic` from its built-in chain and says whether every path that could take it
// past the rule `target` (in `chain`) drops it; the first rule that may not is the culprit.
export function reaches (dump: Dump, chain: string, target: readonly string[], traffic: Traffic): Reach {
  const chains = chainsOf(dump)
  let culprit: string | undefined

  const walk = (name: string, depth: number, stack: readonly string[]): Set<Outcome> => {
    const out = new Set<Outcome>()
    const open = (line: string): void => { out.add('open'); culprit ??= line }
    const c = chains.get(name)
    if (c === undefined || depth > MAX_DEPTH || stack.includes(name)) { open(`-N ${name} (missing, or a loop)`); return out }
    const leave = (): void => {
      if (c.policy === undefined) out.add('fallthrough')
      else if (DROPS.has(c.policy)) out.add('dropped')
      else open(`-P ${name} ${c.policy}`)
    }
    for (const args of c.rules) {
      if (name === chain && same(args, target)) { out.add('reached'); return out }
      const line = `-A ${name} ${args.join(' ')}`
      const { matches, jump } = parseRule(args)
      const m = matchTraffic(matches, traffic)
      if (m === 'no' || jump === undefined || CONTINUES.has(jump.target)) continue
      let goesOn = false
      if (jump.target === 'ACCEPT') open(line)
      else if (DROPS.has(jump.target)) out.add('dropped')
      else if (jump.target === 'RETURN') {
        // A RETURN ahead of our rule in its own chain is what skips it.
        if (name === chain) culprit ??= line
        leave()
      }
      else if (chains.has(jump.target) && chains.get(jump.target)?.policy === undefined) {
        for (const o of walk(jump.target, depth + 1, [...stack, name])) {
          // Falling off the end of a jumped-to chain comes back here; of a goto, leaves this chain.
          if (o !== 'fallthrough') out.add(o)
          else if (jump.kind === '-j') goesOn = true
          else leave()
        }
        if (out.has('open')) culprit ??= line
      } else open(line) // a DNAT or SNAT claims the packet; an unknown target may accept it
      if (m === 'yes' && !goesOn) return out
    }
    leave()
    return out
  }

  const out = walk(traffic.from, 0, [])
  if (out.has('open') || out.has('fallthrough')) return { reached: false, culprit: culprit ?? `-N ${chain}` }
  return { reached: true }
}
