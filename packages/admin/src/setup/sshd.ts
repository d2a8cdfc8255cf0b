// Is the suite's sshd drop-in in effect, or is sshd weaker than it? The settings it wants
// are read from the drop-in itself, and compared with what `sshd -T` says sshd applies,
// so that a main sshd_config without the Include, an earlier line that wins, or a Match
// block that loosens a setting (with -C) is caught. A stricter value is fine: a shorter
// algorithm list, a lower limit. Setup and doctor both ask this.
import type { Exec } from './exec.ts'

// Keywords that sshd -T prints once per value.
const PER_VALUE = new Set(['acceptenv'])

// How a keyword's effective value is judged against the drop-in's. Unlisted keywords
// must be the same (yes/no switches).
type Rule =
  | 'algorithms' // a comma list: nothing beyond the drop-in's algorithms
  | 'at-most' // a number: no higher
  | 'at-most-nonzero' // a number where 0 means no limit: no higher, and not 0
  | 'at-least' // a number: no lower
  | 'startups' // start:rate:full, per-source: none of start or full higher
  | 'netblock' // IPv4:IPv6 prefix lengths: no longer (finer) prefix
  | 'subset' // per-value: no value beyond the drop-in's
const RULES: Record<string, Rule> = {
  kexalgorithms: 'algorithms',
  ciphers: 'algorithms',
  macs: 'algorithms',
  hostkeyalgorithms: 'algorithms',
  pubkeyacceptedalgorithms: 'algorithms',
  casignaturealgorithms: 'algorithms',
  requiredrsasize: 'at-least',
  maxauthtries: 'at-most',
  maxsessions: 'at-most',
  logingracetime: 'at-most-nonzero',
  clientaliveinterval: 'at-most-nonzero',
  clientalivecountmax: 'at-most-nonzero',
  maxstartups: 'startups',
  persourcemaxstartups: 'startups',
  persourcenetblocksize: 'netblock',
  acceptenv: 'subset'
}

export type Settings = Map<string, string[]>

// keyword (lower case) -> values, from an sshd_config text; comments and Match blocks
// (which sshd -T evaluates only with -C) are left out.
export function parseSettings (text: string): Settings {
  const settings: Settings = new Map()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const [word = '', ...rest] = line.split(/\s+/)
    const keyword = word.toLowerCase()
    if (keyword === 'match') break
    const values = PER_VALUE.has(keyword) ? rest : [rest.join(' ')]
    settings.set(keyword, [...(settings.get(keyword) ?? []), ...values])
  }
  return settings
}

// The numbers of a limit such as 100:30:300 or 32:64; "none" is no limit at all.
function numbers (value: string): number[] {
  return value.toLowerCase() === 'none' ? [Infinity] : value.split(':').map(Number)
}

// Why `have` is weaker than `want` under `rule`, or undefined when it is not.
function weakness (rule: Rule | undefined, want: string[], have: string[]): string | undefined {
  if (rule === 'subset') {
    const extra = have.filter((v) => !want.includes(v))
    return extra.length === 0 ? undefined : `also ${extra.join(' ')}`
  }
  const wanted = want[0] ?? ''
  if (have.length !== 1) return have.length === 0 ? 'not set' : 'set more than once'
  const value = have[0] ?? ''
  switch (rule) {
    case 'algorithms': {
      const allowed = new Set(wanted.split(','))
      const extra = value.split(',').filter((a) => !allowed.has(a))
      return extra.length === 0 ? undefined : `also offers ${extra.join(',')}`
    }
    case 'at-most':
    case 'at-most-nonzero':
    case 'at-least': {
      const [n = NaN] = numbers(value)
      const [w = NaN] = numbers(wanted)
      if (Number.isNaN(n)) return 'not a number'
      if (rule === 'at-most-nonzero' && n === 0) return 'no limit'
      if (rule === 'at-least') return n < w ? 'lower' : undefined
      return n > w ? 'higher' : undefined
    }
    case 'startups': {
      // start:rate:full (MaxStartups) or one number (PerSourceMaxStartups): the rate
      // only shapes the random early drop between start and full.
      const [hs = NaN, , hf = hs] = numbers(value)
      const [ws = NaN, , wf = ws] = numbers(wanted)
      return hs <= ws && hf <= wf ? undefined : 'higher'
    }
    case 'netblock': {
      const [h4 = NaN, h6 = NaN] = numbers(value)
      const [w4 = NaN, w6 = NaN] = numbers(wanted)
      return h4 <= w4 && h6 <= w6 ? undefined : 'finer blocks, so one network counts as many sources'
    }
    default:
      return value.toLowerCase() === wanted.toLowerCase() ? undefined : 'different'
  }
}

// One line per setting where sshd, as `sshd -T` shows it, is weaker than the drop-in.
export function weakerSettings (dropin: Settings, effective: Settings): string[] {
  const problems: string[] = []
  for (const [keyword, want] of dropin) {
    const have = effective.get(keyword) ?? []
    const why = weakness(RULES[keyword], want, have)
    if (why === undefined) continue
    // An algorithm list is long: name only what it adds.
    if (why.startsWith('also offers ')) { problems.push(`${keyword} ${why}, which the drop-in leaves out`); continue }
    const shown = have.length === 0 ? '(not set)' : have.join(' ')
    const detail = why === 'different' || why === 'not set' ? '' : ` (${why})`
    problems.push(`${keyword} is ${shown}, the drop-in says ${want.join(' ')}${detail}`)
  }
  return problems
}

// What sshd would apply with this main config (sshd -T needs root and the host keys);
// with `connection` (sshd -T -C's spec, e.g. user=alice,host=,addr=), Match blocks that
// apply to that connection included.
export async function effectiveSettings (exec: Exec, sshdConfig: string, connection?: string): Promise<Settings | { error: string }> {
  const args = ['-T', '-f', sshdConfig, ...(connection === undefined ? [] : ['-C', connection])]
  const r = await exec.run('/usr/sbin/sshd', args, { timeoutMs: 15_000 })
  if (r.exitCode !== 0) return { error: `sshd ${args.join(' ')} exited with ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` }
  return parseSettings(r.stdout)
}
