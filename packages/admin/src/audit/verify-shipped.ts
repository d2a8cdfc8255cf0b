// `bastion audit --verify --shipped HOST`: this host's session log against the copy of
// it shipped off the host (HOST's stream in the sessions log group). The local chain
// alone cannot show lines cut from the end of the newest file, or a whole chain
// rewritten by someone with root; the shipped copy can. Every shipped line must be in
// the local log, byte for byte (its SHA-256, the chain's own hash): a shipped line the
// local log does not have was changed or taken out here after it left. A line shipped
// twice (delivery is at least once) counts once. Local lines not in the copy are only
// counted: the newest may not have been shipped yet, and a stream's retention may have
// dropped the oldest.
import { createHash } from 'node:crypto'
import type { Warnings } from './log-files.ts'
import { fileLines } from './log-files.ts'
import { groupLines, type ReadDeps } from './log-group.ts'

export interface ShippedLine {
  // Its place among the stream's events, as read (oldest first).
  line: number
  time?: string
  event?: string
  session?: string
}

export interface ShippedComparison {
  // Distinct lines in the shipped copy, and in the local log.
  shipped: number
  local: number
  // Shipped lines the local log does not have: how many, and the first.
  notLocal: number
  firstNotLocal?: ShippedLine
  // Local lines not (or not yet) in the copy.
  notShipped: number
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined

export async function compareWithShipped (deps: ReadDeps, group: { region: string, logGroup: string }, host: string, files: readonly string[], warnings: Warnings): Promise<ShippedComparison> {
  const local = new Set<string>()
  for (const file of files) for await (const line of fileLines(file)) local.add(sha256(line))
  const shipped = new Set<string>()
  const out: ShippedComparison = { shipped: 0, local: local.size, notLocal: 0, notShipped: 0 }
  const state = { found: false }
  // No filter pattern: every event of the host's stream (the prefix may also match
  // other hosts' streams, bastion-a2 for bastion-a, which are skipped).
  const q = { region: group.region, logGroupName: group.logGroup, logStreamNamePrefix: host, filterPattern: '' }
  for await (const e of groupLines(deps, q, '', warnings, 'the shipped session log', state)) {
    if (e.stream !== host) continue
    const hash = sha256(e.message)
    if (shipped.has(hash)) continue
    shipped.add(hash)
    if (local.has(hash)) continue
    out.notLocal++
    if (out.firstNotLocal === undefined) {
      const v = (typeof e.value === 'object' && e.value !== null ? e.value : {}) as Record<string, unknown>
      out.firstNotLocal = { line: e.line, ...optional('time', str(v.time)), ...optional('event', str(v.event)), ...optional('session', str(v.session)) }
    }
  }
  out.shipped = shipped.size
  for (const hash of local) if (!shipped.has(hash)) out.notShipped++
  return out
}

function optional<K extends string> (key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : { [key]: value } as Record<K, string>
}
