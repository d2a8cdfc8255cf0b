// Is the suite's sshd drop-in in effect? The settings it wants are read from the drop-in
// itself, and compared with what `sshd -T` says sshd applies, so that a main sshd_config
// without the Include, or with an earlier line that wins, is caught. Setup and doctor
// both ask this.
import type { Exec } from './exec.ts'

// Keywords that sshd -T prints once per value.
const PER_VALUE = new Set(['acceptenv'])

export type Settings = Map<string, string[]>

// keyword (lower case) -> values, from an sshd_config text; comments and Match blocks
// (which sshd -T without -C does not evaluate) are left out.
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

// One line per setting of the drop-in that sshd does not apply as the drop-in says.
export function inactiveSettings (dropin: Settings, effective: Settings): string[] {
  const problems: string[] = []
  for (const [keyword, want] of dropin) {
    const have = effective.get(keyword) ?? []
    const same = PER_VALUE.has(keyword)
      ? sameSet(want, have)
      : have.length === 1 && have[0]?.toLowerCase() === want[0]?.toLowerCase()
    if (!same) problems.push(`${keyword} is ${have.length === 0 ? '(not set)' : have.join(' ')}, the drop-in says ${want.join(' ')}`)
  }
  return problems
}

function sameSet (a: string[], b: string[]): boolean {
  const x = new Set(a)
  const y = new Set(b)
  return x.size === y.size && [...x].every((v) => y.has(v))
}

// What sshd would apply with this main config (sshd -T needs root and the host keys).
export async function effectiveSettings (exec: Exec, sshdConfig: string): Promise<Settings | { error: string }> {
  const r = await exec.run('/usr/sbin/sshd', ['-T', '-f', sshdConfig], { timeoutMs: 15_000 })
  if (r.exitCode !== 0) return { error: `sshd -T -f ${sshdConfig} exited with ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` }
  return parseSettings(r.stdout)
}
