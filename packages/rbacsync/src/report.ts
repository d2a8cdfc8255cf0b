// What a run prints: the changes as a diff (+ create, ~ update, - delete), the problems,
// and the API calls it took, split into reads and writes.
import { addedSubjects, removedSubjects, type Action } from './reconcile/actions.ts'
import { describeAction, type ActionResult } from './reconcile/apply.ts'
import type { SyncReport } from './sync.ts'
import type { RbacObject } from './kube/objects.ts'

export function diffLine (a: Action): string {
  switch (a.op) {
    case 'createGroup': return `+ iam group ${a.group}`
    case 'deleteGroup': return `- iam group ${a.group}`
    case 'createRole': return `+ iam role ${a.role}`
    case 'updateTrust': return `~ iam role ${a.role}: trust policy`
    case 'updateMaxSession': return `~ iam role ${a.role}: MaxSessionDuration ${a.seconds}`
    case 'deleteRole': return `- iam role ${a.role}`
    case 'createObject': return `+ ${a.cluster}: ${objectName(a.object)}${subjects(a.object.subjects?.map((s) => s.name) ?? [], [])}`
    case 'deleteObject': return `- ${a.cluster}: ${objectName(a.object)}`
    case 'replaceObject': {
      const change = a.object.rules !== undefined ? ' rules' : subjects(addedSubjects(a), removedSubjects(a))
      return `~ ${a.cluster}: ${objectName(a.object)}${change}`
    }
    case 'updateAwsAuth': {
      const parts = [...a.added.map((u) => `+${u}`), ...a.updated.map((u) => `~${u}`), ...a.removed.map((u) => `-${u}`)]
      return `~ ${a.cluster}: aws-auth${parts.length > 0 ? ` ${parts.join(' ')}` : ' (our ownership list)'}`
    }
    case 'createAccessEntry': return `+ ${a.cluster}: access entry ${a.principalArn} as ${a.user}`
    case 'deleteAccessEntry': return `- ${a.cluster}: access entry ${a.principalArn}`
  }
}

function objectName (o: RbacObject): string {
  return `${o.kind} ${o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`}${o.metadata.name ?? ''}`
}

function subjects (added: string[], removed: string[]): string {
  const parts = [...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)]
  return parts.length === 0 ? '' : ` subjects ${parts.join(' ')}`
}

export function formatReport (report: SyncReport, command: 'sync' | 'diff'): string {
  const lines: string[] = []
  const failed = report.results.filter((r) => !r.ok)
  if (command === 'diff' || report.dryRun) {
    lines.push(report.actions.length === 0 ? 'no changes: in sync' : `${report.actions.length} change(s) to make${report.dryRun && command === 'sync' ? ' (dry run: nothing written)' : ''}:`)
  } else {
    lines.push(report.actions.length === 0 ? 'no changes: in sync' : `${report.actions.length - failed.length} change(s) applied, ${failed.length} failed:`)
  }
  for (const a of report.actions) lines.push(`  ${diffLine(a)}`)
  for (const line of report.heldBack) lines.push(`held back: ${line}`)
  if (report.problems.length > 0) {
    lines.push('problems:')
    for (const p of report.problems) lines.push(`  ${p.severity} ${p.code} [${p.subject}] ${p.message}`)
  }
  lines.push(`${report.users} user(s) with access; API calls: ${report.reads} read(s), ${report.writes} write(s) in ${(report.durationMs / 1000).toFixed(2)} s`)
  for (const c of report.calls) lines.push(`  ${c.kind.padEnd(5)} ${c.api.padEnd(36)} ${c.calls}`)
  return lines.join('\n')
}

// The report as JSON: the actions by their diff line, the results by what failed.
export function reportJson (report: SyncReport): unknown {
  return {
    ok: report.ok,
    dryRun: report.dryRun,
    heldBack: report.heldBack,
    users: report.users,
    changes: report.actions.map(diffLine),
    failed: report.results.filter((r: ActionResult) => !r.ok).map((r) => ({ action: describeAction(r.action), error: r.error })),
    problems: report.problems,
    calls: report.calls,
    reads: report.reads,
    writes: report.writes,
    durationMs: report.durationMs
  }
}
