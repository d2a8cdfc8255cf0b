// Everything that differs between the kernel's tables and our rule set (rules.ts), read
// from one `iptables -S` per table: a chain or rule that is missing, a rule that exists
// but that its traffic no longer reaches first, and a rule in one of our own chains that
// is not ours. Generic over the rule set, so whatever rules.ts lists is checked alike.
import type { ChainSpec, RuleSet, RuleSpec, Table } from './rules.ts'
import { dumpTable, jumpTarget, type CommandRunner } from './command.ts'
import { chainsOf, reaches, same, type Dump } from './reach.ts'

export type Drift =
  | { kind: 'missing-chain', chain: ChainSpec, line: string }
  | { kind: 'missing', rule: RuleSpec, line: string }
  | { kind: 'bypassed', rule: RuleSpec, culprit: string, line: string }
  | { kind: 'foreign', table: Table, chain: string, args: string[], line: string }

export async function dumpTables (runner: CommandRunner, set: RuleSet, signal?: AbortSignal): Promise<Map<Table, Dump>> {
  const dumps = new Map<Table, Dump>()
  for (const table of new Set([...set.chains.map((c) => c.table), ...set.rules.map((r) => r.table)])) {
    dumps.set(table, await dumpTable(runner, table, signal))
  }
  return dumps
}

// In rule-set order: chains, then rules (missing or bypassed), then foreign rules in our chains.
export function findDrift (set: RuleSet, dumps: ReadonlyMap<Table, Dump>): Drift[] {
  const drift: Drift[] = []
  const tables = new Map([...dumps].map(([t, d]) => [t, chainsOf(d)]))
  const has = (table: Table, chain: string): boolean => tables.get(table)?.has(chain) ?? false
  const rulesIn = (table: Table, chain: string): string[][] => tables.get(table)?.get(chain)?.rules ?? []
  for (const chain of set.chains) {
    if (!has(chain.table, chain.chain)) drift.push({ kind: 'missing-chain', chain, line: chain.description })
  }
  for (const rule of set.rules) {
    const target = jumpTarget(rule.args)
    const intoMissing = target !== undefined && set.chains.some((c) => c.table === rule.table && c.chain === target) && !has(rule.table, target)
    if (intoMissing || !rulesIn(rule.table, rule.chain).some((args) => same(args, rule.args))) {
      drift.push({ kind: 'missing', rule, line: rule.description })
      continue
    }
    if (rule.reach === undefined) continue
    const r = reaches(dumps.get(rule.table) ?? [], rule.chain, rule.args, rule.reach)
    if (!r.reached) drift.push({ kind: 'bypassed', rule, culprit: r.culprit, line: `${rule.description}, is bypassed by: ${r.culprit}` })
  }
  for (const chain of set.chains.filter((c) => c.owned)) {
    const ours = set.rules.filter((r) => r.table === chain.table && r.chain === chain.chain)
    for (const args of rulesIn(chain.table, chain.chain)) {
      if (ours.some((r) => same(r.args, args))) continue
      drift.push({ kind: 'foreign', table: chain.table, chain: chain.chain, args, line: `${chain.table} ${chain.chain}: holds a rule that is not ours: -A ${chain.chain} ${args.join(' ')}` })
    }
  }
  return drift
}

export async function inspectRules (runner: CommandRunner, set: RuleSet, signal?: AbortSignal): Promise<Drift[]> {
  return findDrift(set, await dumpTables(runner, set, signal))
}
