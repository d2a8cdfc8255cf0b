// `bastion ship` on the real thing: real files, the real command, moto's CloudWatch Logs
// behind a TCP front of this test's own that can cut the connection (an outage) and
// kill the shipper the moment moto has taken a batch but before the shipper hears so.
// What must hold: no line lost, each shown once by `bastion audit`, the shipped copy
// passes `bastion audit --verify`, rotation finishes a file's tail, doctor sees it all.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { parseConfigText } from '@bastion/config'
import { BASTION } from '../../fixtures/toolbox.ts'
import { uniqueName } from '../../fixtures/authenticator.ts'
import { startMotoFront } from '../../fixtures/moto-front.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { issued, sessionEnd, sessionStart } from '../../../packages/admin/test/audit/fixtures.ts'
import { shippingCheck } from '../../../packages/admin/src/doctor/checks/shipping.ts'
import { ShipConfigSchema } from '../../../packages/admin/src/ship/config.ts'
import type { DoctorContext } from '../../../packages/admin/src/doctor/check.ts'

const moto = bedFacts()('BASTION_TEST_STS_ENDPOINT')
const NODE = '/opt/bastion/node/bin/node'
const ENV = { ...EMULATOR_ENV, PATH: '/usr/bin:/bin' }
const logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
type Teardown = { teardown (fn: () => unknown): void }

async function groups (t: Teardown, ...kinds: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const k of kinds) {
    const name = `/bastion-test/${uniqueName(k)}`
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }))
    t.teardown(() => logs.send(new DeleteLogGroupCommand({ logGroupName: name })).catch(() => undefined))
    out[k] = name
  }
  return out
}

// Every event of a stream, oldest first.
async function streamLines (group: string, stream: string): Promise<string[]> {
  const out: string[] = []
  let token: string | undefined
  for (;;) {
    const r = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token !== undefined ? { nextToken: token } : {}) }))
    out.push(...(r.events ?? []).map((e) => e.message ?? ''))
    if (r.nextForwardToken === undefined || r.nextForwardToken === token) return out
    token = r.nextForwardToken
  }
}

// A session log as the shell writes it: each line chained to the one before (prev).
function chained (lines: object[], prev: string | null = null): { text: string, last: string | null } {
  let text = ''
  for (const l of lines) {
    const s = JSON.stringify({ ...l, prev })
    text += s + '\n'
    prev = createHash('sha256').update(s).digest('hex')
  }
  return { text, last: prev }
}

function config (dir: string, lines: string[], name = 'bastion.yaml'): string {
  const file = join(dir, name)
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

const bastion = (cfg: string, args: string[]) => execa(NODE, [BASTION, '-c', cfg, ...args], { reject: false, timeout: 180_000, env: ENV, extendEnv: false })

function shipper (t: Teardown, cfg: string): ChildProcess & { stderr: NodeJS.ReadableStream, out: () => string } {
  const p = spawn(NODE, [BASTION, '-c', cfg, 'ship'], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  p.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL') })
  return Object.assign(p, { out: () => err }) as ChildProcess & { stderr: NodeJS.ReadableStream, out: () => string }
}

const exited = (p: ChildProcess): Promise<{ code: number | null, signal: string | null }> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve({ code: p.exitCode, signal: p.signalCode }) : new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })))

async function until (what: string, ok: () => boolean, ms = 90_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (ok()) return
  throw new Error(`timed out waiting for ${what}`)
}

// A TCP front before moto: close() is an outage (connection refused), open() ends it;
// onPutAnswer sees each PutLogEvents answer before the shipper does, and may swallow it.
async function tcpFront (t: Teardown, upstream: string): Promise<{ url: string, puts: () => number, close: () => Promise<void>, open: () => Promise<void>, onPutAnswer: (fn: (n: number) => boolean) => void }> {
  const target = new URL(upstream)
  const sockets = new Set<Socket>()
  let puts = 0
  let hook: (n: number) => boolean = () => true
  let server: Server | null = null
  let port = 0
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      sockets.add(client)
      const up = createConnection(Number(target.port), target.hostname)
      sockets.add(up)
      let put = 0
      client.on('data', (d: Buffer) => {
        if (d.includes('PutLogEvents')) put = ++puts
        up.write(d)
      })
      up.on('data', (d: Buffer) => {
        if (put > 0) {
          const n = put
          put = 0
          if (!hook(n)) { client.destroy(); up.destroy(); return }
        }
        client.write(d)
      })
      for (const [a, b] of [[client, up], [up, client]] as const) {
        a.on('close', () => { sockets.delete(a); b.destroy() })
        a.on('error', () => { b.destroy() })
      }
    })
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, '127.0.0.1', resolve) })
    port = (s.address() as AddressInfo).port
    server = s
  }
  const close = (): Promise<void> => new Promise((resolve) => {
    for (const s of sockets) s.destroy()
    if (server === null) { resolve(); return }
    server.close(() => resolve())
    server = null
  })
  await listen()
  t.teardown(close)
  return { url: `http://127.0.0.1:${port}`, puts: () => puts, close, open: listen, onPutAnswer: (fn) => { hook = fn } }
}

const shipConfig = (cfgPath: string): DoctorContext => ({ config: { ship: parseConfigText(ShipConfigSchema, readFileSync(cfgPath, 'utf8')) } }) as unknown as DoctorContext

const user = uniqueName('bt-ship')

t.test('the three kinds shipped; with the local files gone, bastion audit reads the sessions and credentials back from the groups', async (t) => {
  const dir = t.testdir({ state: {} })
  const g = await groups(t, 'sessions', 'credentials', 'recordings')
  const sessions = chained([sessionStart(user, 'k1', '2026-12-07T08:00:00.000Z'), sessionStart('pocahontas', 'k2', '2026-12-07T08:00:01.000Z'), sessionEnd(user, 'k1', '2026-12-07T08:05:00.000Z')])
  writeFileSync(join(dir, 'sessions.jsonl'), sessions.text)
  writeFileSync(join(dir, 'credentials.jsonl'), JSON.stringify(issued(user, '2026-12-07T08:00:02.000Z', 'WFQW')) + '\n')
  const index = [{ time: '2026-12-07T08:05:01.000Z', session: 'k1', user, key: `bastion/recordings/${user}/k1.cast`, bytes: 512 }]
  writeFileSync(join(dir, 'state', 'recordings-index.jsonl'), index.map((l) => JSON.stringify(l) + '\n').join(''))
  const cfg = config(dir, [
    `shell: { audit: { file: ${dir}/sessions.jsonl } }`,
    `metadataproxy: { log: { auditFile: ${dir}/credentials.jsonl } }`,
    `ship: { enabled: true, host: bastion-s1, endpoint: "${moto}", stateDir: ${dir}/state, sessionsLogGroup: ${g.sessions}, credentialsLogGroup: ${g.credentials}, recordingsLogGroup: ${g.recordings} }`,
    `audit: { cloudwatch: { endpoint: "${moto}" } }`
  ])
  const r = await bastion(cfg, ['ship', '--once'])
  t.equal(r.exitCode, 0, r.stderr)
  t.same(await streamLines(g.sessions as string, 'bastion-s1'), sessions.text.trimEnd().split('\n'), 'each line unchanged, in order')
  t.same((await streamLines(g.recordings as string, 'bastion-s1')).map((l) => JSON.parse(l)), index, 'the index of recordings')
  t.equal((await streamLines(g.credentials as string, 'bastion-s1')).length, 1)
  const expected = ['bastion-s1 ssh k1 start', 'bastion-s1 credentials WFQW', 'bastion-s1 ssh k1 end']
  const show = (e: Record<string, string>): string => `${e.host} ${e.kind} ${e.kind === 'ssh' ? `${e.session} ${e.event}` : e.accessKeyIdSuffix}`
  const both = await bastion(cfg, ['audit', '--user', user, '--json'])
  t.equal(both.exitCode, 0, both.stderr)
  t.same(JSON.parse(both.stdout).entries.map(show), expected, 'in the local files and in the stream: each once, this host named as its stream')
  rmSync(join(dir, 'sessions.jsonl'))
  rmSync(join(dir, 'credentials.jsonl'))
  const a = await bastion(cfg, ['audit', '--user', user, '--json'])
  t.equal(a.exitCode, 0, a.stderr)
  const doc = JSON.parse(a.stdout)
  t.same(doc.entries.map(show), expected, 'from ship\'s groups (audit.cloudwatch names none)')
  t.match(doc.entries[0].origin.file, `cloudwatch:us-east-1:${g.sessions}:bastion-s1`)
  const again = await bastion(cfg, ['ship', '--once'])
  t.equal(again.exitCode, 0)
  t.equal((await streamLines(g.sessions as string, 'bastion-s1')).length, 3, 'a second run sends nothing again')
})

t.test('killed -9 with a batch taken but not acknowledged, then CloudWatch away: every line arrives, bastion audit shows each once, the shipped copy verifies', async (t) => {
  const dir = t.testdir({ state: {} })
  const g = await groups(t, 'sessions')
  const base = Date.UTC(2026, 11, 7, 7, 0, 0)
  const records = (from: number, n: number): object[] => Array.from({ length: n }, (_, i) => sessionStart(i % 10 === 0 ? user : 'pocahontas', `b${from + i}`, new Date(base + from + i).toISOString(), { command: 'kubectl get pods -A ' + 'x'.repeat(150) }))
  const first = chained(records(0, 20_000))
  writeFileSync(join(dir, 'sessions.jsonl'), first.text)
  const front = await tcpFront(t, moto)
  const cfg = config(dir, [
    `shell: { audit: { file: ${dir}/sessions.jsonl } }`,
    `ship: { enabled: true, host: bastion-k9, endpoint: "${front.url}", stateDir: ${dir}/state, sessionsLogGroup: ${g.sessions}, intervalMs: 200, backlogWarnSeconds: 1 }`,
    `audit: { cloudwatch: { endpoint: "${moto}" } }`
  ])
  // put 1: no stream yet; put 2: the first batch; put 3: taken by moto, its answer never arrives.
  const one = shipper(t, cfg)
  front.onPutAnswer((n) => {
    if (n < 3) return true
    one.kill('SIGKILL')
    return false
  })
  t.same(await exited(one), { code: null, signal: 'SIGKILL' }, one.out())
  front.onPutAnswer(() => true)
  const taken = (await streamLines(g.sessions as string, 'bastion-k9')).length
  t.ok(taken > 0 && taken < 20_000, `moto holds ${taken} lines: two batches, the second never acknowledged`)

  // CloudWatch away: the restarted shipper backs off; lines keep coming meanwhile.
  await front.close()
  const two = shipper(t, cfg)
  await until('a refused connection in the log', () => /ECONNREFUSED/.test(two.out()))
  const more = chained(records(20_000, 500), first.last)
  appendFileSync(join(dir, 'sessions.jsonl'), more.text)
  await sleep(3000)
  const during = await shippingCheck.run(shipConfig(cfg))
  t.match(during, { status: 'warnings', warnings: [{ problem: /^sessions: the oldest line not shipped to .* is \d+ (s|min|h) old \(\d+ bytes behind; the last call failed: CloudWatch Logs did not take the lines .*ECONNREFUSED/ }] }, 'doctor, on the real status: a backlog, and why')
  await front.open()
  const total = 20_500
  await until('every line shipped', () => {
    try {
      const s = JSON.parse(readFileSync(join(dir, 'state', 'status.json'), 'utf8'))
      return s.sources[0].backlogBytes === 0 && s.sources[0].error === null && s.sources[0].shipped >= total - taken
    } catch { return false }
  })
  two.kill('SIGTERM')
  t.same(await exited(two), { code: 0, signal: null }, 'SIGTERM: the cursor saved, exit 0')
  t.match(two.out(), /ECONNREFUSED[^\n]*next try in \d+ s/)
  t.match(two.out(), /sessions: CloudWatch Logs takes the lines again/)

  const shipped = await streamLines(g.sessions as string, 'bastion-k9')
  const lines = (first.text + more.text).trimEnd().split('\n')
  const have = new Set(shipped)
  t.equal(lines.filter((l) => !have.has(l)).length, 0, 'no line lost')
  t.ok(shipped.length > total, `at least once: ${shipped.length - total} sent twice (the batch whose answer was lost)`)
  t.match(await shippingCheck.run(shipConfig(cfg)), { status: 'ok', detail: /bastion ship keeps up: sessions to .* as stream bastion-k9/ })

  // Each once in the timeline, read from the group alone.
  rmSync(join(dir, 'sessions.jsonl'))
  const a = await bastion(cfg, ['audit', '--user', user, '--json'])
  t.equal(a.exitCode, 0, a.stderr)
  const ssh = JSON.parse(a.stdout).entries.filter((e: { kind: string }) => e.kind === 'ssh')
  t.equal(ssh.length, lines.filter((l) => l.includes(`"user":"${user}"`)).length, 'his sessions, each once')
  t.equal(new Set(ssh.map((e: { session: string }) => e.session)).size, ssh.length)

  // The shipped copy, duplicates dropped, is the chain: --verify passes.
  const exported = join(dir, 'export.jsonl')
  writeFileSync(exported, [...new Set(shipped)].join('\n') + '\n')
  const v = await bastion(cfg, ['audit', '--verify', '--sessions', exported])
  t.equal(v.exitCode, 0, v.stderr)
  t.match(v.stdout, `the session log's chain is unbroken: ${total} lines`)
})

t.test('rotation: a tail left in the renamed file, and one in a copy compressed early, go before the new file; a copy deleted unshipped is reported', async (t) => {
  const dir = t.testdir({ state: {} })
  const g = await groups(t, 'sessions')
  const live = join(dir, 'sessions.jsonl')
  const cfg = config(dir, [
    `shell: { audit: { file: ${live} } }`,
    `ship: { enabled: true, host: bastion-rot, endpoint: "${moto}", stateDir: ${dir}/state, sessionsLogGroup: ${g.sessions} }`
  ])
  const at = (n: number): object => sessionStart(user, `r${n}`, new Date(Date.UTC(2026, 11, 7, 6, 0, n)).toISOString())
  const a = chained([at(1), at(2)])
  writeFileSync(live, a.text)
  t.equal((await bastion(cfg, ['ship', '--once'])).exitCode, 0)
  const b = chained([at(3)], a.last)
  appendFileSync(live, b.text)
  renameSync(live, `${live}.1`) // logrotate's create: the tail r3 is in .1 now
  const c = chained([at(4)])
  writeFileSync(live, c.text)
  t.equal((await bastion(cfg, ['ship', '--once'])).exitCode, 0)
  const d = chained([at(5)], c.last)
  appendFileSync(live, d.text)
  writeFileSync(`${live}.2.gz`, gzipSync(readFileSync(`${live}.1`)))
  rmSync(`${live}.1`)
  writeFileSync(`${live}.1.gz`, gzipSync(readFileSync(live))) // compressed at once, no delaycompress
  rmSync(live)
  const e = chained([at(6)])
  writeFileSync(live, e.text)
  const r = await bastion(cfg, ['ship', '--once'])
  t.equal(r.exitCode, 0, r.stderr)
  t.same(await streamLines(g.sessions as string, 'bastion-rot'), (a.text + b.text + c.text + d.text + e.text).trimEnd().split('\n'), 'each line once, in the order written')
  // A copy deleted before its tail went out.
  appendFileSync(live, chained([at(7)], e.last).text)
  const down = await startMotoFront(moto, { decide: (_req, { answer }) => { answer({ status: 503, contentType: 'application/x-amz-json-1.1', body: '{"__type":"ServiceUnavailableException","message":"try later"}' }) } })
  t.teardown(() => down.close())
  const failed = await bastion(config(dir, [`shell: { audit: { file: ${live} } }`, `ship: { enabled: true, host: bastion-rot, endpoint: "${down.url}", stateDir: ${dir}/state, sessionsLogGroup: ${g.sessions} }`], 'down.yaml'), ['ship', '--once'])
  t.equal(failed.exitCode, 1)
  t.match(failed.stderr, /not every line was shipped: sessions: CloudWatch Logs did not take the lines .*ServiceUnavailableException.*\(BASTION_ADMIN_SHIP_INCOMPLETE\)/)
  rmSync(live)
  writeFileSync(live, chained([at(8)]).text)
  const lost = await bastion(cfg, ['ship', '--once'])
  t.equal(lost.exitCode, 0, lost.stderr)
  t.match(lost.stderr, /warning: sessions: .*sessions\.jsonl went away before it was shipped: \d+ bytes after offset \d+ never reached CloudWatch/)
  const f = await shippingCheck.run(shipConfig(cfg))
  t.match(f, { status: 'warnings', warnings: [{ problem: /sessions: 1 file\(s\) went away with lines not shipped, the last \d+ s ago/ }] }, 'doctor shows it')
})

t.test('AccessDenied: --once names the permission; the status says so and doctor warns; ship.enabled false refuses to run', async (t) => {
  const dir = t.testdir({ state: {} })
  writeFileSync(join(dir, 'sessions.jsonl'), chained([sessionStart(user, 'd1', '2026-12-07T08:00:00.000Z')]).text)
  const deny = await startMotoFront(moto, { decide: (_req, { answer }) => { answer({ status: 400, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/bastion-host/i-0 is not authorized to perform: logs:PutLogEvents' }) }) } })
  t.teardown(() => deny.close())
  const cfg = config(dir, [`shell: { audit: { file: ${dir}/sessions.jsonl } }`, `ship: { enabled: true, host: bastion-d, endpoint: "${deny.url}", stateDir: ${dir}/state, sessionsLogGroup: /bastion/denied }`])
  const r = await bastion(cfg, ['ship', '--once'])
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /the host's role needs logs:PutLogEvents and logs:CreateLogStream on arn:aws:logs:us-east-1:<account>:log-group:\/bastion\/denied:\*/)
  t.notMatch(r.stderr + readFileSync(join(dir, 'state', 'status.json'), 'utf8'), /bastion-testbed-secret/, 'no secret in the log or the status')
  t.match(await shippingCheck.run(shipConfig(cfg)), { status: 'warnings', warnings: [{ problem: /^sessions: CloudWatch Logs refused/, fix: /logs:PutLogEvents and logs:CreateLogStream on \/bastion\/denied/ }] })
  const offCfg = config(dir, [`ship: { stateDir: ${dir}/state }`], 'off.yaml')
  const off = await bastion(offCfg, ['ship', '--once'])
  t.equal(off.exitCode, 1)
  t.match(off.stderr, /BASTION_ADMIN_SHIP_DISABLED/)
  t.match(await shippingCheck.run(shipConfig(offCfg)), { status: 'skipped' })
  const help = await bastion(cfg, ['ship', '--help'])
  t.match(help.stdout, /--once +ship what is there and exit/)
})
