// Check `shipping`: bastion ship's status.json judged: fresh, caught up, not denied,
// nothing lost lately; skipped when the logs are not shipped.
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { judge, shippingCheck, staleAfterMs } from '../../../src/doctor/checks/shipping.ts'
import { writeStatus, type ShipStatus, type SourceStatus } from '../../../src/ship/status.ts'
import { CONFIG_TEXT, hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const NOW = Date.UTC(2026, 11, 7, 9)
const zero = { count: 0, lastAt: null, detail: null }
const source = (over: Partial<SourceStatus> = {}): SourceStatus => ({ kind: 'sessions', file: '/var/log/bastion/sessions.jsonl', group: '/bastion/sessions', stream: 'bastion-a', shipped: 3, lastSuccessAt: null, backlogBytes: 0, oldestUnshipped: null, files: [], oversized: zero, rejected: zero, lost: zero, error: null, ...over })
const status = (over: Partial<ShipStatus> = {}): ShipStatus => ({ version: 1, host: 'bastion-a', region: 'us-east-1', pid: 1, updatedAt: new Date(NOW - 1000).toISOString(), intervalMs: 2000, lastSuccessAt: null, lastError: null, sources: [source(), source({ kind: 'credentials', file: null, group: '/bastion/credentials' })], ...over })

t.test('skipped when ship.enabled is false; a missing status is a problem; a fresh one is judged', async (t) => {
  t.same(await shippingCheck.run(doctorContext(scratchDir(t))), { status: 'skipped', detail: 'ship.enabled is false: bastion ship does not send this host\'s logs to CloudWatch Logs' })
  const dir = join(scratchDir(t), 'ship')
  const ctx = doctorContext(scratchDir(t), { config: hostConfig(`${CONFIG_TEXT}\nship: { enabled: true, stateDir: ${dir} }\n`) })
  t.match(await shippingCheck.run(ctx), { status: 'problems', problems: [{ problem: /bastion ship has written no status: .*status\.json cannot be read \(ENOENT\)/, fix: /systemctl enable --now bastion-ship/ }] })
  mkdirSync(dir)
  await writeStatus(dir, status({ updatedAt: new Date().toISOString() }))
  t.match(await shippingCheck.run(ctx), { status: 'ok', detail: /^bastion ship keeps up: sessions to \/bastion\/sessions as stream bastion-a in us-east-1 \(status \d+ s old\)$/ })
})

t.test('a status not written for several intervals: bastion ship is down or stuck', async (t) => {
  t.equal(staleAfterMs(2000), 100_000)
  t.match(judge(status({ updatedAt: new Date(NOW - 101_000).toISOString() }), NOW, 300), { status: 'problems', problems: [{ problem: /last wrote its status 101 s ago .* so it is not running or is stuck/, fix: /systemctl restart bastion-ship/ }] })
  t.match(judge(status({ updatedAt: new Date(NOW - 3 * 3_600_000).toISOString() }), NOW, 300), { status: 'problems', problems: [{ problem: /3 h ago/ }] })
  t.match(judge(status({ updatedAt: 'garbage' }), NOW, 300), { status: 'problems' })
})

t.test('a backlog older than backlogWarnSeconds, AccessDenied, and lines lost this week are warnings', async (t) => {
  const denied = { code: 'AccessDeniedException', message: 'CloudWatch Logs refused to take the lines into /bastion/sessions (...)', at: '' }
  const f = judge(status({ sources: [source({ error: denied, oldestUnshipped: new Date(NOW - 600_000).toISOString(), backlogBytes: 900 })] }), NOW, 300)
  t.match(f, { status: 'warnings', warnings: [
    { problem: /^sessions: CloudWatch Logs refused/, fix: /logs:PutLogEvents and logs:CreateLogStream on \/bastion\/sessions/ },
    { problem: /^sessions: the oldest line not shipped to \/bastion\/sessions is 10 min old \(900 bytes behind; the last call failed: CloudWatch Logs refused/ }
  ] })
  t.match(judge(status({ sources: [source({ oldestUnshipped: new Date(NOW - 400_000).toISOString() })] }), NOW, 300), { status: 'warnings', warnings: [{ problem: /7 min old .*no call failed: it is catching up/ }] })
  t.match(judge(status({ sources: [source({ oldestUnshipped: new Date(NOW - 200_000).toISOString(), error: { code: 'ECONNREFUSED', message: 'x', at: '' } })] }), NOW, 300), { status: 'ok' }, 'a short outage: fine')
  const recent = { count: 2, lastAt: new Date(NOW - 3_600_000).toISOString(), detail: 'details' }
  const old = { count: 5, lastAt: new Date(NOW - 8 * 86_400_000).toISOString(), detail: 'old' }
  const g = judge(status({ sources: [source({ oversized: recent, rejected: old, lost: { ...recent, count: 1 } })] }), NOW, 300)
  t.match(g, { status: 'warnings', warnings: [{ problem: 'sessions: 2 line(s) skipped as too long for a CloudWatch event, the last 60 min ago: details' }, { problem: /^sessions: 1 file\(s\) went away with lines not shipped/, fix: /delaycompress/ }] })
  t.equal((g as { warnings: unknown[] }).warnings.length, 2, 'a week ago is long enough')
  t.match(judge(status({ sources: [source({ lost: { count: 1, lastAt: null, detail: null } })] }), NOW, 300), { status: 'ok' })
})

t.test('the recordings step: named when it keeps up; denied, or a recording waiting too long, is a warning', async (t) => {
  const recordings = { bucket: 'trail-bucket', uploaded: 2, failed: 0, live: 1, backlogFiles: 0, backlogBytes: 0, oldestUnshipped: null, error: null }
  t.match(judge(status({ recordings }), NOW, 300), { status: 'ok', detail: /recordings to s3:\/\/trail-bucket/ })
  const denied = { code: 'AccessDenied', message: 'recording not uploaded; retrying later: S3 refused PutObject', at: '' }
  t.match(judge(status({ recordings: { ...recordings, failed: 1, backlogFiles: 1, backlogBytes: 500, oldestUnshipped: new Date(NOW - 900_000).toISOString(), error: denied } }), NOW, 300), { status: 'warnings', warnings: [
    { problem: /^recordings: recording not uploaded/, fix: /s3:PutObject on arn:aws:s3:::trail-bucket\// },
    { problem: /^recordings: 1 complete recording\(s\), 500 bytes, not uploaded to s3:\/\/trail-bucket, the oldest 15 min old \(the last upload failed/ }
  ] })
  t.match(judge(status({ recordings: { ...recordings, backlogFiles: 1, oldestUnshipped: new Date(NOW - 100_000).toISOString() } }), NOW, 300), { status: 'ok' }, 'a recent one is on its way')
})
