// Shipping: with ship.enabled, bastion ship keeps writing its status (status.json in
// ship.stateDir, after every pass), no log's oldest unshipped line is older than
// ship.backlogWarnSeconds, CloudWatch does not deny it, and no line was skipped or lost
// in the last week. Skipped when the logs are not shipped by the suite.
import { readStatus, type RecordingsStatus, type ShipStatus, type SourceStatus } from '../../ship/status.ts'
import { ok, problems, skipped, warnings, type Check, type Finding, type Problem } from '../check.ts'

const UNIT = 'bastion-ship'
const WEEK_MS = 7 * 86_400_000
// A pass writes the status; one may take a call's timeout and the longest wait after a
// failure (a minute) on top of the interval.
const SLACK_MS = 90_000

export const staleAfterMs = (intervalMs: number): number => 5 * intervalMs + SLACK_MS

const ago = (ms: number): string => ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`

export const shippingCheck: Check = {
  name: 'shipping',
  summary: 'bastion ship keeps up: its status is fresh, no backlog older than ship.backlogWarnSeconds, no denied call, no line lost',
  async run (ctx) {
    const ship = ctx.config.ship.ship
    if (!ship.enabled) return skipped('ship.enabled is false: bastion ship does not send this host\'s logs to CloudWatch Logs')
    const read = await readStatus(ship.stateDir)
    if ('missing' in read) {
      return problems([{ problem: `bastion ship has written no status: ${read.missing}`, fix: `systemctl enable --now ${UNIT}, then see \`journalctl -u ${UNIT}\`` }])
    }
    return judge(read.status, Date.now(), ship.backlogWarnSeconds)
  }
}

export function judge (status: ShipStatus, now: number, backlogWarnSeconds: number): Finding {
  const age = now - Date.parse(status.updatedAt)
  if (!(age <= staleAfterMs(status.intervalMs))) {
    return problems([{ problem: `bastion ship last wrote its status ${ago(age)} ago (${status.updatedAt}; it writes one every pass, ${status.intervalMs} ms apart), so it is not running or is stuck`, fix: `systemctl restart ${UNIT}, then see \`journalctl -u ${UNIT}\`` }])
  }
  const found: Problem[] = []
  for (const s of status.sources) found.push(...sourceWarnings(s, now, backlogWarnSeconds))
  if (status.recordings !== undefined) found.push(...recordingsWarnings(status.recordings, now, backlogWarnSeconds))
  if (found.length > 0) return warnings(found)
  const shipped = status.sources.filter((s) => s.file !== null).map((s) => `${s.kind} to ${s.group}`)
  if (status.recordings !== undefined) shipped.push(`recordings to s3://${status.recordings.bucket}`)
  return ok(`bastion ship keeps up: ${shipped.join(', ')} as stream ${status.host} in ${status.region} (status ${ago(Math.max(0, age))} old)`)
}

function sourceWarnings (s: SourceStatus, now: number, backlogWarnSeconds: number): Problem[] {
  const out: Problem[] = []
  if (s.error !== null && /AccessDenied|UnauthorizedOperation|UnrecognizedClient/.test(s.error.code)) {
    out.push({ problem: `${s.kind}: ${s.error.message}`, fix: `grant the host's role logs:PutLogEvents and logs:CreateLogStream on ${s.group} (docs/admin/audit.md, IAM permissions); bastion ship retries every minute` })
  }
  if (s.oldestUnshipped !== null) {
    const behind = now - Date.parse(s.oldestUnshipped)
    if (behind > backlogWarnSeconds * 1000) {
      const why = s.error !== null ? `the last call failed: ${s.error.message}` : 'no call failed: it is catching up'
      out.push({ problem: `${s.kind}: the oldest line not shipped to ${s.group} is ${ago(behind)} old (${s.backlogBytes} bytes behind; ${why})`, fix: `see \`journalctl -u ${UNIT}\`; the lines wait in ${s.file ?? 'the file'} and go out once CloudWatch Logs takes them` })
    }
  }
  for (const [what, c, fix] of [
    ['line(s) skipped as too long for a CloudWatch event', s.oversized, 'the lines are still in the file on this host; find the writer of such long lines'],
    ['line(s) refused by CloudWatch (too old or too new)', s.rejected, 'check the host\'s clock; the lines are still in the file on this host'],
    ['file(s) went away with lines not shipped', s.lost, `keep rotated copies until they are shipped (logrotate's rotate and delaycompress), and keep ${UNIT} running`]
  ] as const) {
    if (c.count === 0 || c.lastAt === null || now - Date.parse(c.lastAt) > WEEK_MS) continue
    out.push({ problem: `${s.kind}: ${c.count} ${what}, the last ${ago(now - Date.parse(c.lastAt))} ago: ${c.detail ?? ''}`, fix })
  }
  return out
}

// The recordings step (ship.recordings.bucket): denied, or a complete recording waiting
// longer than ship.backlogWarnSeconds.
function recordingsWarnings (r: RecordingsStatus, now: number, backlogWarnSeconds: number): Problem[] {
  const out: Problem[] = []
  if (r.error !== null && r.error.code === 'AccessDenied') {
    out.push({ problem: `recordings: ${r.error.message}`, fix: `grant the host's role s3:PutObject on arn:aws:s3:::${r.bucket}/<ship.recordings.prefix>* (docs/admin/audit.md, Recordings in S3); bastion ship retries every 5 minutes` })
  }
  if (r.oldestUnshipped !== null && r.backlogFiles > 0) {
    const behind = now - Date.parse(r.oldestUnshipped)
    if (behind > backlogWarnSeconds * 1000) {
      const why = r.error !== null ? `the last upload failed: ${r.error.message}` : 'no upload failed: it is catching up'
      out.push({ problem: `recordings: ${r.backlogFiles} complete recording(s), ${r.backlogBytes} bytes, not uploaded to s3://${r.bucket}, the oldest ${ago(behind)} old (${why})`, fix: `see \`journalctl -u ${UNIT}\`; the recordings wait on this host and go once S3 takes them` })
    }
  }
  return out
}
