// The loop: each log every interval, backoff on failure while the others go on, the
// status for doctor, --once, a stop, and the recordings step.
import t from 'tap'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LogsCallError } from '../../src/audit/logs-api.ts'
import type { ShipSettings } from '../../src/ship/config.ts'
import { describeFailure, retryDelay, runShipper, type ShipDeps } from '../../src/ship/shipper.ts'
import type { ShipStatus } from '../../src/ship/status.ts'
import { FakeLogs, line, memoryLog, tempDir, text } from './fixtures.ts'

function setup (t: { teardown (fn: () => void): void }) {
  const dir = tempDir(t)
  const settings: ShipSettings = {
    host: 'bastion-a',
    region: 'eu-west-1',
    endpoint: undefined,
    stateDir: join(dir, 'state'),
    intervalMs: 2000,
    backlogWarnSeconds: 300,
    sources: [
      { kind: 'sessions', file: join(dir, 'sessions.jsonl'), group: '/g/sessions' },
      { kind: 'credentials', file: null, group: '/g/credentials' },
      { kind: 'recordings', file: join(dir, 'state', 'recordings-index.jsonl'), group: '/g/recordings' }
    ]
  }
  const logs = new FakeLogs('/g/sessions', '/g/recordings')
  let now = Date.UTC(2026, 11, 7, 9)
  const sleeps: number[] = []
  const log = memoryLog()
  const controller = new AbortController()
  const deps: ShipDeps & { onSleep?: () => void } = {
    writer: logs,
    now: () => now,
    log,
    random: () => 1,
    pid: 42,
    sleep: async (ms) => { sleeps.push(ms); now += ms; deps.onSleep?.() }
  }
  const status = (): ShipStatus => JSON.parse(readFileSync(join(settings.stateDir, 'status.json'), 'utf8'))
  return { dir, settings, logs, deps, sleeps, log, controller, status, advance: (ms: number) => { now += ms } }
}

t.test('--once ships every log to its end and writes the status', async (t) => {
  const s = setup(t)
  writeFileSync(s.settings.sources[0]?.file as string, text([line(1), line(2)]))
  const r = await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal })
  t.same(r, { complete: true, lastError: null })
  t.same(s.logs.lines('/g/sessions', 'bastion-a'), [line(1), line(2)])
  const st = s.status()
  t.match(st, { version: 1, host: 'bastion-a', region: 'eu-west-1', pid: 42, intervalMs: 2000, lastError: null, lastSuccessAt: '2026-12-07T09:00:00.000Z' })
  t.same(st.sources.map((x) => [x.kind, x.file === null, x.shipped, x.backlogBytes, x.oldestUnshipped, x.error]), [['sessions', false, 2, 0, null, null], ['credentials', true, 0, 0, null, null], ['recordings', false, 0, 0, null, null]])
})

t.test('--once with a call failing: incomplete, with the error; a cursor note is logged', async (t) => {
  const s = setup(t)
  writeFileSync(s.settings.sources[0]?.file as string, text([line(1)]))
  writeFileSync(join(s.dir, 'state.keep'), '')
  s.logs.fail = () => ({ error: new LogsCallError('AccessDeniedException', 'User: arn:aws:sts::1:assumed-role/h/i is not authorized to perform: logs:PutLogEvents', 400) })
  const r = await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal })
  t.equal(r.complete, false)
  t.match(r.lastError, { kind: 'sessions', code: 'AccessDeniedException', message: /the host's role needs logs:PutLogEvents and logs:CreateLogStream on arn:aws:logs:eu-west-1:<account>:log-group:\/g\/sessions:\*/ })
  t.match(s.status().sources[0]?.error, { code: 'AccessDeniedException' })
  t.match(s.status().sources[0]?.oldestUnshipped, '2026-12-07T08:00:01.000Z')
  writeFileSync(join(s.settings.stateDir, 'sessions.cursor.json'), 'torn')
  s.logs.fail = () => undefined
  await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal })
  t.match(s.log.lines, [/^warn: sessions: CloudWatch Logs refused/, /^warn: sessions: .*sessions\.cursor\.json is not a cursor/])
})

t.test('the daemon: backoff with jitter on failure, capped, retried until it works; the other logs go on; a stop ends it', async (t) => {
  const s = setup(t)
  writeFileSync(s.settings.sources[0]?.file as string, text([line(1)]))
  let down = true
  s.logs.fail = (c) => down && c.group === '/g/sessions' ? { error: new LogsCallError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9', undefined) } : undefined
  let passes = 0
  let recordings = 0
  s.deps.recordings = async () => {
    recordings++
    if (recordings === 2) writeFileSync(s.settings.sources[2]?.file as string, text([JSON.stringify({ time: '2026-12-07T08:59:00.000Z', key: 'r1' })]))
    if (recordings === 3) throw new Error('S3 is away')
    return { bucket: 'b', uploaded: recordings, failed: 0, live: 0, backlogFiles: 0, backlogBytes: 0, oldestUnshipped: null, error: null }
  }
  s.deps.onSleep = () => {
    passes++
    if (passes === 9) down = false
    if (passes === 12) s.controller.abort()
  }
  const r = await runShipper(s.settings, s.deps, { once: false, signal: s.controller.signal })
  t.equal(r.complete, true)
  t.same(s.sleeps.slice(0, 8), [500, 1000, 2000, 2000, 2000, 2000, 2000, 2000], 'the next try or the interval, whichever comes first')
  t.same(s.logs.lines('/g/sessions', 'bastion-a'), [line(1)], 'shipped once it answered')
  t.same(s.logs.lines('/g/recordings', 'bastion-a').length, 1, 'the recordings index went meanwhile')
  t.match(s.log.lines, [/failure 1 in a row; next try in 1 s/])
  t.ok(s.log.lines.includes('warn: recordings: S3 is away'))
  t.ok(s.log.lines.includes('info: sessions: CloudWatch Logs takes the lines again'))
  t.equal(s.status().sources[0]?.error, null)
  t.match(s.status().recordings, { bucket: 'b', failed: 0 }, 'the recordings step\'s last pass is in the status')
})

t.test('--once is incomplete while the recordings step failed or left a backlog', async (t) => {
  for (const pass of [{ failed: 1, backlogFiles: 1 }, { failed: 0, backlogFiles: 2 }]) {
    const s = setup(t)
    s.deps.recordings = async () => ({ bucket: 'b', uploaded: 0, live: 0, backlogBytes: 10, oldestUnshipped: null, error: null, ...pass })
    const r = await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal })
    t.equal(r.complete, false, JSON.stringify(pass))
  }
})

t.test('a log with more than a pass\'s budget goes on at once, without sleeping', async (t) => {
  const s = setup(t)
  writeFileSync(s.settings.sources[0]?.file as string, text([line(1), line(2), line(3)]))
  s.deps.onSleep = () => { s.controller.abort() }
  const big = s.logs.putLogEvents.bind(s.logs)
  s.logs.putLogEvents = async (g, st, events) => big(g, st, events)
  await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal, maxBatches: 1 })
  t.equal(s.logs.lines('/g/sessions', 'bastion-a').length, 3)
  t.same(s.sleeps, [])
})

t.test('the delays and the messages', async (t) => {
  const e = (code: string, status?: number): LogsCallError => new LogsCallError(code, 'msg', status)
  t.equal(retryDelay(e('AccessDeniedException'), 1, () => 0), 60_000)
  t.equal(retryDelay(e('Whatever', 403), 1, () => 0), 60_000)
  t.equal(retryDelay(e('ResourceNotFoundException'), 5, () => 0), 60_000)
  t.equal(retryDelay(e('ThrottlingException'), 1, () => 0), 250)
  t.equal(retryDelay(e('ThrottlingException'), 100, () => 1), 30_000)
  t.match(describeFailure(e('ResourceNotFoundException'), '/g', 'h', 'r'), /the log group \/g \(or its stream h\) does not exist in r .*aws logs create-log-group --log-group-name \/g/)
  t.match(describeFailure(e('InternalFailure', 500), '/g', 'h', 'r'), /did not take the lines into \/g \(InternalFailure: msg, HTTP 500\): retried with backoff/)
})

t.test('a failure on this host (the cursor cannot be written) is that log\'s, retried; the others go on', async (t) => {
  const s = setup(t)
  writeFileSync(s.settings.sources[0]?.file as string, text([line(1)]))
  mkdirSync(join(s.settings.stateDir, 'sessions.cursor.json.tmp'), { recursive: true })
  writeFileSync(s.settings.sources[2]?.file as string, text([JSON.stringify({ time: '2026-12-07T08:59:00.000Z', key: 'r1' })]))
  const r = await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal })
  t.equal(r.complete, false)
  t.match(r.lastError, { kind: 'sessions', code: 'EISDIR', message: /^cannot read the log or keep its cursor on this host \(EISDIR: .*\): retried with backoff$/ })
  t.equal(s.logs.lines('/g/recordings', 'bastion-a').length, 1, 'the recordings index went')
  rmSync(join(s.settings.stateDir, 'sessions.cursor.json.tmp'), { recursive: true })
  t.same(await runShipper(s.settings, s.deps, { once: true, signal: s.controller.signal }), { complete: true, lastError: null })
  t.same(s.logs.lines('/g/sessions', 'bastion-a'), [line(1)])
})
