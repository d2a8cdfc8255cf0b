// The timeline for a person (aligned text) or a program (--json). Every string from a
// log is shown with control characters escaped: a user's own command line, or the
// reason they gave, must not be able to drive the auditor's terminal.
import type { AwsEntry, CredentialEntry, Entry, KubeEntry, SshEntry } from './entries.ts'
import type { Timeline } from './timeline.ts'

// Control characters (C0, DEL, C1), and the format characters, surrogates and line
// separators that reorder or break what a terminal shows (a bidi override, U+202E,
// would turn a command or a stated reason around).
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu
export const safe = (s: string): string => s.replace(CONTROL, (c) => {
  const code = c.codePointAt(0) as number
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
})

const KIND_WIDTH = 'credentials'.length

function ssh (e: SshEntry): string[] {
  if (e.event === 'start') {
    const what = e.command === null ? 'interactive login' : `command ${safe(JSON.stringify(e.command))}`
    const lines = [`session ${safe(e.session)} started${e.source !== null ? ` from ${safe(e.source)}` : ''}: ${what}${e.tty ? ' (tty)' : ''}, container ${safe(e.container)}`]
    if (e.statedReason !== undefined) lines.push(`reason: ${safe(e.statedReason)}`)
    if (e.recording !== null) lines.push(`recording: ${e.recordingUrl !== undefined ? safe(e.recordingUrl) : `file://${encodeURI(e.recording)}`}`)
    return lines
  }
  const after = e.durationMs !== undefined ? ` after ${(e.durationMs / 1000).toFixed(1)} s` : ''
  return [`session ${safe(e.session)} ended${after}: exit ${e.exitCode ?? '?'}${e.reason !== undefined ? ` (${safe(e.reason)})` : ''}`]
}

function credentials (e: CredentialEntry): string[] {
  return [`credentials for ${safe(e.role)} issued to ${safe(e.container)}${e.ip !== '' ? ` (${safe(e.ip)})` : ''}, access key ...${safe(e.accessKeyIdSuffix)}${e.expiration !== '' ? `, expiring ${safe(e.expiration)}` : ''}`]
}

function kubernetes (e: KubeEntry): string[] {
  let what: string
  if (e.resource === null) {
    what = `${e.verb} ${e.requestUri}`
  } else {
    const scope = e.namespace !== null ? ` in namespace ${e.namespace}` : (e.verb === 'list' || e.verb === 'watch') ? ' (cluster-wide)' : ''
    what = `${e.verb} ${e.resource}${e.name !== null ? ` ${e.name}` : ''}${scope}`
  }
  const outcome = [e.code !== null ? String(e.code) : 'no response', e.decision].filter((x) => x !== null).join(' ')
  return [`${safe(e.cluster)}: ${safe(what)} -> ${safe(outcome)}${e.accessKeyIdSuffix !== null ? `, access key ...${safe(e.accessKeyIdSuffix)}` : ''}`]
}

function aws (e: AwsEntry): string[] {
  return [`${safe(e.service)} ${safe(e.eventName)} in ${safe(e.region)} -> ${e.errorCode !== null ? safe(e.errorCode) : 'ok'}${e.accessKeyIdSuffix !== null ? `, access key ...${safe(e.accessKeyIdSuffix)}` : ''}`]
}

const describe = (e: Entry): string[] => e.kind === 'ssh' ? ssh(e) : e.kind === 'credentials' ? credentials(e) : e.kind === 'aws' ? aws(e) : kubernetes(e)

export function renderText (t: Timeline): string {
  const count = (kind: Entry['kind']): number => t.entries.filter((e) => e.kind === kind).length
  const sessions = new Set(t.entries.filter((e): e is SshEntry => e.kind === 'ssh').map((e) => `${e.host}/${e.session}`)).size
  const range = `${t.range.since ?? 'the beginning'} to ${t.range.until ?? 'now'}`
  const awsCalls = count('aws') > 0 ? `, ${count('aws')} AWS call${count('aws') === 1 ? '' : 's'}` : ''
  // With trails from several hosts, each ssh and credentials line names its host.
  const hosts = new Set(t.entries.flatMap((e) => e.kind === 'ssh' || e.kind === 'credentials' ? [e.host] : []))
  const out = [`Audit trail of ${t.user} from ${range}: ${sessions} ssh session${sessions === 1 ? '' : 's'}, ${count('credentials')} credential issue${count('credentials') === 1 ? '' : 's'}, ${count('kubernetes')} Kubernetes call${count('kubernetes') === 1 ? '' : 's'}${awsCalls}${hosts.size > 1 ? `, on ${hosts.size} hosts` : ''}`]
  if (t.entries.length > 0) out.push('')
  const indent = ' '.repeat(24 + 2 + KIND_WIDTH + 2)
  for (const e of t.entries) {
    const [first, ...rest] = describe(e)
    const on = hosts.size > 1 && (e.kind === 'ssh' || e.kind === 'credentials') ? `${safe(e.host)}: ` : ''
    out.push(`${e.time}  ${e.kind.padEnd(KIND_WIDTH)}  ${on}${first}`)
    for (const r of rest) out.push(`${indent}${r}`)
  }
  return out.join('\n') + '\n'
}

export function renderJson (t: Timeline): string {
  return JSON.stringify({ user: t.user, since: t.range.since ?? null, until: t.range.until ?? null, roles: t.roles, entries: t.entries, warnings: t.warnings }, null, 2) + '\n'
}
