// Installs (and repairs), checks and removes the fail-closed IMDS rules (see rules.ts).
// Every operation is idempotent and generic over the rule set: install puts back what is
// missing and moves back what is bypassed; remove takes away only jumps into our own
// chains and the chains themselves. Neither ever deletes a rule that is not ours, except
// inside our own chains.

import { BastionError } from '../errors.ts'
import { buildRules } from './rules.ts'
import type { RuleOptions, RuleSet, RuleSpec } from './rules.ts'
import { dumpTable, iptables, jumpTarget, type CommandRunner } from './command.ts'
import { chainsOf } from './reach.ts'
import { inspectRules, type Drift } from './drift.ts'

export { execaRunner, splitRuleLine, type CommandResult, type CommandRunner } from './command.ts'

export interface CheckResult {
  ok: boolean
  /** One line per missing chain or rule. */
  missing: string[]
  /** One line per rule of ours that its traffic does not reach first, naming the rule ahead. */
  bypassed: string[]
  /** One line per rule in one of our chains that is not ours. */
  foreign: string[]
}

export interface Repair {
  /** What was wrong before the repair. */
  found: string[]
  /** What the repair did, one line per command. */
  did: string[]
  /** What is still wrong after it (empty when the repair worked). */
  remaining: string[]
}

export function summarize (drift: readonly Drift[]): CheckResult {
  const lines = (kinds: readonly Drift['kind'][]) => drift.filter((d) => kinds.includes(d.kind)).map((d) => d.line)
  return { ok: drift.length === 0, missing: lines(['missing-chain', 'missing']), bypassed: lines(['bypassed']), foreign: lines(['foreign']) }
}

// Reports every missing, bypassed or foreign piece, so that readiness, `iptables check`
// and `bastion doctor` can say exactly what is wrong.
export async function checkRules (runner: CommandRunner, opts: RuleOptions, signal?: AbortSignal): Promise<CheckResult> {
  return summarize(await inspectRules(runner, buildRules(opts), signal))
}

const insertArgs = (rule: RuleSpec): string[] => rule.position === undefined ? ['-A', rule.chain] : ['-I', rule.chain, String(rule.position)]

// From whatever the tables hold back to the rule set: create missing chains, delete
// foreign rules from our own chains, add missing rules; then, once nothing is missing
// (a missing jump makes the rules behind it look bypassed), move bypassed rules of ours
// back to their position; then look again. A moved rule is deleted before it is
// inserted, so `-D` (which takes the first match) can never hit the new copy.
export async function repairRules (runner: CommandRunner, set: RuleSet, signal?: AbortSignal): Promise<Repair> {
  const first = await inspectRules(runner, set, signal)
  const did: string[] = []
  let drift = first
  for (let round = 0; round < 2 && drift.length > 0; round++) {
    const fixable = drift.some((d) => d.kind !== 'bypassed') ? drift.filter((d) => d.kind !== 'bypassed') : drift
    did.push(...await fix(runner, set, fixable, signal))
    drift = await inspectRules(runner, set, signal)
  }
  return { found: first.map((d) => d.line), did, remaining: drift.map((d) => d.line) }
}

async function fix (runner: CommandRunner, set: RuleSet, drift: readonly Drift[], signal: AbortSignal | undefined): Promise<string[]> {
  const did: string[] = []
  for (const d of drift) {
    if (d.kind !== 'missing-chain') continue
    await iptables(runner, d.chain.table, ['-N', d.chain.chain], signal)
    did.push(`added ${d.chain.description}`)
  }
  for (const d of drift) {
    if (d.kind !== 'foreign') continue
    // Exit 1: already gone, which is the state we want.
    await iptables(runner, d.table, ['-D', d.chain, ...d.args], signal, [0, 1])
    did.push(`removed from our chain ${d.table} ${d.chain}: ${d.args.join(' ')}`)
  }
  const bypassed = new Set(drift.flatMap((d) => d.kind === 'bypassed' ? [d.rule] : []))
  const missing = new Set(drift.flatMap((d) => d.kind === 'missing' ? [d.rule] : []))
  for (const rule of bypassed) await iptables(runner, rule.table, ['-D', rule.chain, ...rule.args], signal, [0, 1])
  // In list order, so that each chain is filled before anything jumps into it and the
  // positions inside our chains are valid (every earlier rule is already in place).
  for (const rule of set.rules) {
    if (!bypassed.has(rule) && !missing.has(rule)) continue
    if (missing.has(rule)) await refuseUnprintable(runner, rule, signal)
    await iptables(runner, rule.table, [...insertArgs(rule), ...rule.args], signal)
    did.push(bypassed.has(rule) ? `moved back to position ${rule.position ?? 'last'}: ${rule.description}` : `added ${rule.description}`)
  }
  return did
}

// A rule that `-C` finds but -S does not print as written would be added again on every
// check; rules.ts must spell it the way iptables prints it.
async function refuseUnprintable (runner: CommandRunner, rule: RuleSpec, signal: AbortSignal | undefined): Promise<void> {
  const { exitCode } = await iptables(runner, rule.table, ['-C', rule.chain, ...rule.args], signal, [0, 1, 2])
  if (exitCode === 0) {
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED',
      `${rule.description}: iptables has the rule but prints it differently from its arguments in rules.ts (${rule.args.join(' ')}); write them as iptables -S prints them`)
  }
}

export async function installRules (runner: CommandRunner, opts: RuleOptions, signal?: AbortSignal): Promise<{ changed: string[] }> {
  const { did } = await repairRules(runner, buildRules(opts), signal)
  return { changed: did }
}

// Removes every jump into our chains (even ones left by an older bridge or port, found
// by their target, which only we use), then flushes and deletes our chains. Chains we
// do not own, such as DOCKER-USER, every rule in them that is not ours, and the rules we
// share with Docker, stay.
export async function removeRules (runner: CommandRunner, opts: RuleOptions, signal?: AbortSignal): Promise<{ changed: string[] }> {
  const set = buildRules(opts)
  const changed: string[] = []
  for (const table of new Set(set.chains.map((c) => c.table))) {
    const owned = set.chains.filter((c) => c.table === table && c.owned).map((c) => c.chain)
    const dump = await dumpTable(runner, table, signal)
    for (const words of dump) {
      const [op, chain, ...args] = words
      const target = jumpTarget(args)
      if (op !== '-A' || chain === undefined || owned.includes(chain) || target === undefined || !owned.includes(target)) continue
      // Exit 1: already gone, which is the state we want.
      const { exitCode } = await iptables(runner, table, ['-D', chain, ...args], signal, [0, 1])
      if (exitCode !== 0) continue
      const known = set.rules.find((r) => r.table === table && r.chain === chain && r.args.join(' ') === args.join(' '))
      changed.push(known?.description ?? `${table} ${chain}: ${args.join(' ')}`)
    }
    const present = chainsOf(dump)
    for (const chain of set.chains.filter((c) => c.table === table && c.owned && present.has(c.chain))) {
      await iptables(runner, table, ['-F', chain.chain], signal)
      await iptables(runner, table, ['-X', chain.chain], signal)
      changed.push(chain.description)
    }
  }
  return { changed }
}
