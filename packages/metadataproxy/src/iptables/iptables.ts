// Installs, checks and removes the fail-closed IMDS rules (see rules.ts) by running
// iptables through a narrow command runner, so unit tests can swap in a fake kernel.
// Every operation is idempotent: install adds only what is missing, remove takes away
// only jumps into our own chains and the chains themselves.

import { execa } from 'execa'
import { BastionError, isBastionError } from '../errors.ts'
import { buildRules } from './rules.ts'
import type { ChainSpec, RuleOptions, RuleSet, RuleSpec, Table } from './rules.ts'

export interface CommandResult { exitCode: number; stdout: string; stderr: string }

export interface CommandRunner {
  run(cmd: string, args: string[], signal?: AbortSignal): Promise<CommandResult>
}

export interface CheckResult {
  ok: boolean
  /** One human-readable line per missing chain or rule. */
  missing: string[]
}

// Seconds to wait for the xtables lock that Docker and other tools also take.
const LOCK_WAIT_SECONDS = '5'

// The real runner. reject:false because exit codes are answers here (-C exits 1 for
// "no such rule"); only a command that could not run at all is thrown.
export function execaRunner (options: { timeoutMs?: number } = {}): CommandRunner {
  const timeout = options.timeoutMs ?? 15_000
  return {
    async run (cmd, args, signal) {
      const result = await execa(cmd, args, {
        reject: false,
        timeout,
        stdin: 'ignore',
        // Stable English messages in stderr, which ends up in our errors and logs.
        env: { LC_ALL: 'C' },
        ...(signal === undefined ? {} : { cancelSignal: signal })
      })
      if (result.exitCode === undefined) {
        if (signal?.aborted === true) throw signal.reason
        throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED',
          `${cmd} could not run: ${result.shortMessage ?? 'unknown error'}`, { cause: result })
      }
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
    }
  }
}

async function iptables (runner: CommandRunner, table: Table, args: string[], signal: AbortSignal | undefined,
  okCodes: readonly number[] = [0]): Promise<CommandResult> {
  signal?.throwIfAborted()
  const argv = ['-w', LOCK_WAIT_SECONDS, '-t', table, ...args]
  const shown = `iptables ${argv.join(' ')}`
  let result: CommandResult
  try {
    result = await runner.run('iptables', argv, signal)
  } catch (err) {
    if (signal?.aborted === true || isBastionError(err)) throw err
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED', `${shown} could not run: ${String(err)}`, { cause: err })
  }
  if (!okCodes.includes(result.exitCode)) {
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED',
      `${shown} exited with ${result.exitCode}: ${result.stderr.trim()}`,
      { cause: { command: 'iptables', args: argv, ...result } })
  }
  return result
}

// Splits one line of `iptables -S` back into argv; iptables quotes arguments with spaces
// (comments) and escapes quotes and backslashes inside them.
export function splitRuleLine (line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === '\\' && quoted && i + 1 < line.length) {
      word += line[++i]
    } else if (c === '"') {
      quoted = !quoted
      inWord = true
    } else if (/\s/.test(c) && !quoted) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

// One `-S` per table rather than `-S CHAIN`: for a missing chain iptables-nft exits 1
// with a misleading message, indistinguishable from other failures.
async function dumpTable (runner: CommandRunner, table: Table, signal?: AbortSignal): Promise<string[][]> {
  const { stdout } = await iptables(runner, table, ['-S'], signal)
  return stdout.split('\n').filter((line) => line.trim() !== '').map(splitRuleLine)
}

function chainsIn (dump: string[][]): Set<string> {
  return new Set(dump.filter((w) => w[0] === '-N' || w[0] === '-P').map((w) => w[1] as string))
}

function jumpTarget (args: readonly string[]): string | undefined {
  const j = args.indexOf('-j')
  return j === -1 ? undefined : args[j + 1]
}

async function ruleExists (runner: CommandRunner, rule: RuleSpec, signal?: AbortSignal): Promise<boolean> {
  // -C exits 1 for a missing rule; 2 (bad arguments) or 4 (not root) are real failures.
  const { exitCode } = await iptables(runner, rule.table, ['-C', rule.chain, ...rule.args], signal, [0, 1])
  return exitCode === 0
}

interface Missing { chains: ChainSpec[]; rules: RuleSpec[] }

async function findMissing (runner: CommandRunner, set: RuleSet, signal?: AbortSignal): Promise<Missing> {
  const present = new Map<Table, Set<string>>()
  for (const table of new Set(set.chains.map((c) => c.table))) {
    present.set(table, chainsIn(await dumpTable(runner, table, signal)))
  }
  const has = (table: Table, chain: string): boolean => present.get(table)?.has(chain) ?? true
  const chains = set.chains.filter((c) => !has(c.table, c.chain))
  const rules: RuleSpec[] = []
  for (const rule of set.rules) {
    const target = jumpTarget(rule.args)
    // A rule cannot exist in a missing chain, and -C on a jump to a missing chain exits 2.
    const impossible = !has(rule.table, rule.chain) ||
      (target !== undefined && set.chains.some((c) => c.table === rule.table && c.chain === target) && !has(rule.table, target))
    if (impossible || !(await ruleExists(runner, rule, signal))) rules.push(rule)
  }
  return { chains, rules }
}

// Reports every missing piece, so a readiness check or `bastion-metadataproxy check`
// can say exactly what to repair.
export async function checkRules (runner: CommandRunner, opts: RuleOptions, signal?: AbortSignal): Promise<CheckResult> {
  const missing = await findMissing(runner, buildRules(opts), signal)
  const lines = [...missing.chains.map((c) => c.description), ...missing.rules.map((r) => r.description)]
  return { ok: lines.length === 0, missing: lines }
}

export async function installRules (runner: CommandRunner, opts: RuleOptions, signal?: AbortSignal): Promise<{ changed: string[] }> {
  const set = buildRules(opts)
  const missing = await findMissing(runner, set, signal)
  const changed: string[] = []
  for (const chain of missing.chains) {
    await iptables(runner, chain.table, ['-N', chain.chain], signal)
    changed.push(chain.description)
  }
  // In list order, so that each chain is filled before anything jumps into it and the
  // positions inside our chains are valid (every earlier rule is already in place).
  for (const rule of missing.rules) {
    const op = rule.position === undefined ? ['-A', rule.chain] : ['-I', rule.chain, String(rule.position)]
    await iptables(runner, rule.table, [...op, ...rule.args], signal)
    changed.push(rule.description)
  }
  return { changed }
}

// Removes every jump into our chains (even ones left by an older bridge or port, found
// by their target, which only we use), then flushes and deletes our chains. Chains we
// do not own, such as DOCKER-USER, and every rule in them that is not ours, stay.
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
    const present = chainsIn(dump)
    for (const chain of set.chains.filter((c) => c.table === table && c.owned && present.has(c.chain))) {
      await iptables(runner, table, ['-F', chain.chain], signal)
      await iptables(runner, table, ['-X', chain.chain], signal)
      changed.push(chain.description)
    }
  }
  return { changed }
}
