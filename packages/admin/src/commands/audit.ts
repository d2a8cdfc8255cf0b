// `bastion audit --user NAME`: what one person did, from the three audit trails.
import type { Command } from 'commander'
import { configPath } from '@bastion/config'
import { AdminError } from '../cli-errors.ts'
import { configuredRole, readAuditConfig, sources, type AuditConfig } from '../audit/config.ts'
import { buildTimeline } from '../audit/timeline.ts'
import { renderJson, renderText, safe } from '../audit/render.ts'
import { linkRecordings } from '../audit/recording-links.ts'
import { parseTimeArg, type TimeRange } from '../audit/time-range.ts'
import { remoteSources } from '../audit/remote-sources.ts'
import { progressLine } from '../audit/progress.ts'
import { verifySessionLog } from '../audit/verify.ts'
import { compareWithShipped } from '../audit/verify-shipped.ts'
import { cloudGroups } from '../audit/log-groups.ts'
import { awsLogs } from '../audit/logs-api.ts'
import { shortHostname } from '../ship/config.ts'

export interface AuditOptions {
  user?: string
  verify?: boolean
  shipped?: string
  since?: string
  until?: string
  json?: boolean
  sessions?: string
  credentials?: string
  kubeAudit?: string[]
  hostDir?: string[]
}

const LOGIN_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/

export function register (program: Command): void {
  program.command('audit')
    .description('print one user\'s timeline: ssh sessions (with recordings), credentials issued to his containers, his Kubernetes API calls')
    .option('-u, --user <name>', 'the bastion user (Unix login name)')
    .option('--verify', 'check the session log\'s hash chain (with its rotated copies) instead, and report the first break')
    .option('--shipped <host>', 'with --verify: compare the session log with the copy shipped off this host, HOST\'s stream in audit.cloudwatch.sessionsLogGroup')
    .option('--since <time>', 'from this time: ISO 8601 (2026-11-26, 2026-11-26T20:00:00Z) or a span back from now (90m, 12h, 7d, 2w)')
    .option('--until <time>', 'up to this time, in the same forms')
    .option('--json', 'print JSON (entries and warnings) instead of text')
    .option('--sessions <file>', 'the shell\'s session log (default: shell.audit.file)')
    .option('--credentials <file>', 'the metadata proxy\'s audit file (default: metadataproxy.log.auditFile)')
    .option('--kube-audit <cluster=file...>', 'kube-apiserver audit logs (default: audit.kubeAuditLogs, and the clusters\' CloudWatch log groups)')
    .option('--host-dir <host=dir...>', 'other bastion hosts\' trails, a directory per host (default: audit.hostDirs)')
    .addHelpText('after', '\nbastion audit --verify [--sessions FILE]: exit status 0 when every line of the session log is chained to the one before it, 1 with the first break (BASTION_ADMIN_AUDIT_CHAIN_BROKEN).\nbastion audit --verify --shipped HOST: also 1 when a line shipped from HOST to CloudWatch Logs is not in the local log (BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH): it was changed or cut here after it left.\nRotated copies next to each file (name.1, name.2.gz, name-20261126, kube-apiserver\'s name-<time>.log) are read too.\nWarnings (missing files, corrupt lines) go to stderr; the exit status is 0 unless no trail could be read at all, or CloudWatch Logs denied access to a log group.\nOn AWS, each cluster\'s EKS audit log group, CloudTrail\'s and the hosts\' log groups are read with logs:FilterLogEvents (see audit.cloudwatch).')
    .action(async (opts: AuditOptions, cmd: Command) => {
      const explicit = cmd.optsWithGlobals<{ config?: string }>().config
      await runAudit(opts, await readAuditConfig(configPath(explicit, process.env), explicit !== undefined || process.env.BASTION_CONFIG !== undefined))
    })
}

// The command's work, apart from commander and the config file's location.
export async function runAudit (opts: AuditOptions, { config, note }: { config: Readonly<AuditConfig>, note?: string }): Promise<void> {
  if (opts.shipped !== undefined && opts.verify !== true) throw new AdminError('BASTION_ADMIN_AUDIT_NO_USER', '--shipped HOST goes with --verify')
  if (opts.verify === true) { await runVerify(opts.sessions ?? config.shell.audit.file, opts.shipped, config); return }
  if (opts.user === undefined) throw new AdminError('BASTION_ADMIN_AUDIT_NO_USER', 'give --user NAME for one person\'s timeline, or --verify to check the session log')
  if (!LOGIN_NAME.test(opts.user)) throw new AdminError('BASTION_ADMIN_AUDIT_BAD_USER', `--user ${JSON.stringify(safe(opts.user))} is not a login name`)
  const now = Date.now()
  const range: TimeRange = {}
  for (const key of ['since', 'until'] as const) {
    const text = opts[key]
    if (text === undefined) continue
    const time = parseTimeArg(text, now)
    if (time === undefined) throw new AdminError('BASTION_ADMIN_AUDIT_BAD_TIME', `--${key} ${JSON.stringify(safe(text))}: give an ISO 8601 time (2026-11-26T20:00:00Z) or a span (90m, 12h, 7d)`)
    range[key] = time
  }
  const early: string[] = []
  const progress = progressLine(process.stderr)
  const remote = await remoteSources(config, { kubeFromFlags: (opts.kubeAudit?.length ?? 0) > 0, ...(opts.hostDir !== undefined ? { hostDirs: opts.hostDir } : {}) }, { add: (m) => { early.push(m) } }, progress)
  const user = opts.user
  const timeline = await buildTimeline({
    user,
    sources: sources(config, {
      ...(opts.sessions !== undefined ? { sessions: opts.sessions } : {}),
      ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
      ...(opts.kubeAudit !== undefined ? { kubeAudit: opts.kubeAudit } : {})
    }),
    role: configuredRole(config, user),
    range,
    remote,
    // This host's lines in its own files and in its stream are the same events.
    ...(config.ship.enabled ? { host: config.ship.host ?? shortHostname() } : {})
  }).finally(() => { progress.done() })
  linkRecordings(timeline.entries, config)
  timeline.warnings.unshift(...early)
  if (note !== undefined) timeline.warnings.unshift(note)
  if (timeline.readable === 0) {
    throw new AdminError('BASTION_ADMIN_AUDIT_NO_SOURCE', `none of the audit trails could be read:\n  - ${timeline.warnings.join('\n  - ')}`)
  }
  process.stdout.write(opts.json === true ? renderJson(timeline) : renderText(timeline))
  for (const w of timeline.warnings) process.stderr.write(`bastion audit: warning: ${safe(w)}\n`)
}

// The session log's hash chain, up to its first break; with a host, the copy shipped
// from it as well (verify-shipped.ts), whose findings are printed before a break is.
async function runVerify (path: string, host: string | undefined, config: Readonly<AuditConfig>): Promise<void> {
  const r = await verifySessionLog(path)
  if (r === undefined) throw new AdminError('BASTION_ADMIN_AUDIT_NO_SOURCE', `${safe(path)} does not exist (nor any rotated copy): nothing to verify`)
  const shipped = host === undefined ? undefined : await verifyShipped(r.files, host, config)
  const what = `${r.files.length} file${r.files.length === 1 ? '' : 's'} (${r.files.map((f) => safe(f)).join(', ')})`
  if (r.broken !== undefined) {
    const compare = host === undefined ? '. Compare with the copy kept off this host (--shipped HOST) to see what changed' : ''
    throw new AdminError('BASTION_ADMIN_AUDIT_CHAIN_BROKEN', `${safe(r.broken.file)}, line ${r.broken.line}: ${r.broken.why}${compare}`)
  }
  if (shipped !== undefined) throw shipped
  const old = r.unchained > 0 ? `; the first ${r.unchained} line${r.unchained === 1 ? '' : 's'} predate the chain and were not checked` : ''
  process.stdout.write(`bastion audit: the session log's chain is unbroken: ${r.lines} lines in ${what}${old}\n`)
}

const HOST_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/

// Prints what the comparison found; the error to end with when the copy has lines the
// local log lacks (or there is no copy to compare with), else undefined.
async function verifyShipped (files: string[], host: string, config: Readonly<AuditConfig>): Promise<AdminError | undefined> {
  if (!HOST_NAME.test(host)) throw new AdminError('BASTION_ADMIN_AUDIT_BAD_HOST_DIR', `--shipped ${JSON.stringify(safe(host))} is not a host name`)
  const warnings: string[] = []
  const groups = await cloudGroups(config, null, true, { add: (m) => { warnings.push(m) } })
  if (groups.sessions === null) throw new AdminError('BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH', '--shipped needs the log group the session logs are shipped to: set audit.cloudwatch.sessionsLogGroup')
  const cw = config.audit.cloudwatch
  const deps = { api: awsLogs({ endpoint: cw.endpoint, timeoutMs: cw.timeoutMs }), settings: { pageSize: cw.pageSize, maxAttempts: cw.maxAttempts, timeoutMs: cw.timeoutMs } }
  const c = await compareWithShipped(deps, groups.sessions, host, files, { add: (m) => { warnings.push(m) } })
  for (const w of warnings) process.stderr.write(`bastion audit: warning: ${safe(w)}\n`)
  const where = `${host}'s stream in ${groups.sessions.logGroup} (${groups.sessions.region})`
  if (c.shipped === 0) return new AdminError('BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH', `nothing shipped in ${safe(where)}: no copy to compare the local log with`)
  if (c.notLocal > 0) {
    const f = c.firstNotLocal
    const first = f === undefined ? '' : ` The first is event ${f.line} of the stream${f.event !== undefined ? `, ${safe(f.event)}` : ''}${f.session !== undefined ? ` of session ${safe(f.session)}` : ''}${f.time !== undefined ? ` at ${safe(f.time)}` : ''}.`
    return new AdminError('BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH', `${c.notLocal} of the ${c.shipped} lines shipped to ${safe(where)} are not in the local log: it was changed or cut after they left this host.${first}`)
  }
  process.stdout.write(`bastion audit: all ${c.shipped} lines shipped to ${safe(where)} are in the local log; ${c.notShipped} local line${c.notShipped === 1 ? ' is' : 's are'} not in that copy (not shipped yet, or past its retention)\n`)
  return undefined
}
