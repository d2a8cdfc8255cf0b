// `bastion audit` reading the audit trail where it lives on AWS, against moto's CloudWatch
// Logs (and EKS, for discovery): the bed's kube-apiserver's own audit events put into a
// cluster's log group as EKS delivers them, CloudTrail records as a trail delivers them,
// two bastion hosts' session and credential logs (directories and a log group with a
// stream per host). A front before moto forces small pages and answers with throttling
// or AccessDenied where a test says so.
import t from 'tap'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { spawn as spawnPty } from 'node-pty'
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { CreateClusterCommand, DeleteClusterCommand, EKSClient } from '@aws-sdk/client-eks'
import { BASTION } from '../../fixtures/toolbox.ts'
import { assumeRole, authnBed, eksToken, kube, mapRole, uniqueName } from '../../fixtures/authenticator.ts'
import { startMotoFront } from '../../fixtures/moto-front.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { issued, sessionEnd, sessionStart } from '../../../packages/admin/test/audit/fixtures.ts'
import { proxyAssumeRole, roleCall } from '../../../packages/admin/test/audit/cloudtrail-records.ts'

const facts = bedFacts()
const moto = facts('BASTION_TEST_STS_ENDPOINT')
const AUDIT_LOG = facts('BASTION_TEST_KUBE_AUDIT_LOG')
const NODE = '/opt/bastion/node/bin/node'
const credentials = { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY }
const logsIn = (region: string): CloudWatchLogsClient => new CloudWatchLogsClient({ region, endpoint: moto, credentials })

interface Filter { logGroupName: string, filterPattern?: string, logStreamNamePrefix?: string, nextToken?: string, limit?: number, startTime?: number }

// A front that logs every FilterLogEvents and answers those fail() picks.
async function front (t: { teardown (fn: () => unknown): void }, fail: (f: Filter, n: number) => { status: number, type: string, message: string } | undefined = () => undefined): Promise<{ url: string, calls: Filter[] }> {
  const calls: Filter[] = []
  const f = await startMotoFront(moto, {
    decide: ({ body }, { answer }) => {
      const q = JSON.parse(body.toString() || '{}') as Filter
      calls.push(q)
      const failure = fail(q, calls.length)
      answer(failure === undefined ? 'pass' : { status: failure.status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: failure.type, message: failure.message }) })
    }
  })
  t.teardown(() => f.close())
  return { url: f.url, calls }
}

async function logGroup (t: { teardown (fn: () => unknown): void }, region: string, name: string, streams: Record<string, Array<{ timestamp: number, message: string }>>): Promise<void> {
  const logs = logsIn(region)
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }))
  t.teardown(() => logs.send(new DeleteLogGroupCommand({ logGroupName: name })).catch(() => undefined))
  for (const [stream, events] of Object.entries(streams)) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: stream }))
    if (events.length > 0) await logs.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: stream, logEvents: [...events].sort((a, b) => a.timestamp - b.timestamp) }))
  }
}

function configFile (dir: string, lines: string[]): string {
  const file = join(dir, 'bastion.yaml')
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

async function audit (config: string, args: string[]): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  const r = await execa(NODE, [BASTION, '-c', config, 'audit', ...args], { reject: false, timeout: 120_000, env: { ...EMULATOR_ENV, PATH: '/usr/bin:/bin' }, extendEnv: false })
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}

// Real kube-apiserver audit events of a fresh user: requests made with an EKS token of
// his role, which aws-iam-authenticator maps to his Kubernetes user.
const bed = authnBed()
const user = uniqueName('bt-cwaudit')
const since = new Date().toISOString()
await mapRole({ teardown: (fn) => { t.teardown(fn) } }, bed, user, user)
const creds = await assumeRole(bed, user, user)
const token = await eksToken(bed, creds)
for (const path of ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/configmaps', '/api/v1/namespaces/kube-system/secrets']) {
  await kube(bed, 'GET', path, { token })
}
// The audit log is written asynchronously (batched): wait for all three calls.
let real: Array<Record<string, any>> = [] // eslint-disable-line @typescript-eslint/no-explicit-any
for (let i = 0; i < 300; i++) {
  real = readFileSync(AUDIT_LOG, 'utf8').split('\n').filter((l) => l.includes(`"username":"${user}"`)).map((l) => JSON.parse(l))
  if (new Set(real.filter((e) => e.objectRef !== undefined).map((e) => e.auditID)).size >= 3) break
  await sleep(200)
}
const calls = [...new Set(real.filter((e) => e.objectRef !== undefined && e.stage === 'ResponseComplete').map((e) => e.auditID as string))]
// Some other principal's real events, which EKS puts in the same streams.
const others = readFileSync(AUDIT_LOG, 'utf8').split('\n').filter((l) => l.includes('"username":"bastion-testbed-admin"')).slice(-6)
const asEks = (lines: string[]): Array<{ timestamp: number, message: string }> => lines.map((message) => ({ timestamp: Date.parse(JSON.parse(message).stageTimestamp), message }))
const his = real.map((e) => JSON.stringify(e))

t.test('the kube-apiserver\'s real events in EKS log groups: a listed cluster and a discovered one, page by page through throttling', async (t) => {
  t.ok(calls.length >= 3, `kube-apiserver logged his calls: ${calls.length}`)
  t.match(real[0]?.user?.extra?.arn?.[0], new RegExp(`assumed-role/${user}/${user}$`), 'under his assumed role')
  const listed = uniqueName('cw-listed')
  const found = uniqueName('cw-found')
  const region = 'ap-southeast-2'
  // EKS splits a cluster's audit log over several streams.
  await logGroup(t, 'eu-west-1', `/aws/eks/${listed}/cluster`, { 'kube-apiserver-audit-0a1b2c': asEks([...his.slice(0, 2), ...others.slice(0, 3)]), 'kube-apiserver-audit-3d4e5f': asEks([...his.slice(2), ...others.slice(3)]) })
  await logGroup(t, region, `/aws/eks/${found}/cluster`, { 'kube-apiserver-audit-99': asEks(his) })
  const eks = new EKSClient({ region, endpoint: moto, credentials })
  await eks.send(new CreateClusterCommand({ name: found, roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: {} }))
  t.teardown(() => eks.send(new DeleteClusterCommand({ name: found })).catch(() => undefined))

  // The first FilterLogEvents of each group is throttled, twice.
  const seen = new Map<string, number>()
  const f = await front(t, (q) => {
    const n = (seen.get(q.logGroupName) ?? 0) + 1
    seen.set(q.logGroupName, n)
    return n <= 2 ? { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } : undefined
  })
  const dir = t.testdir({})
  const config = configFile(dir, [
    'aws: { region: eu-west-1 }',
    `clusters: [{ name: ${listed}, region: eu-west-1 }]`,
    `toolbox: { kubeconfig: { discover: { regions: [${region}] }, eksEndpoint: "${moto}" } }`,
    `shell: { audit: { file: ${dir}/sessions.jsonl } }`,
    `audit: { cloudwatch: { endpoint: "${f.url}", pageSize: 2 } }`
  ])
  const r = await audit(config, ['--user', user, '--since', since, '--json'])
  t.equal(r.exitCode, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  const kubeEntries = doc.entries.filter((e: { kind: string }) => e.kind === 'kubernetes')
  for (const cluster of [listed, found]) {
    const mine = kubeEntries.filter((e: { cluster: string }) => e.cluster === cluster)
    t.same(mine.map((e: { auditId: string }) => e.auditId).sort(), [...calls].sort(), `${cluster}: each of his calls once, from its most complete stage`)
    t.ok(mine.every((e: { accessKeyIdSuffix: string, code: number }) => e.accessKeyIdSuffix === creds.AWS_ACCESS_KEY_ID?.slice(-4) && typeof e.code === 'number'), `${cluster}: with his access key's suffix and the response code`)
  }
  t.match(kubeEntries.find((e: { cluster: string }) => e.cluster === listed).origin.file, new RegExp(`^cloudwatch:eu-west-1:/aws/eks/${listed}/cluster:kube-apiserver-audit-`))
  const times = doc.entries.map((e: { time: string }) => e.time)
  t.same(times, [...times].sort(), 'sorted by time')
  t.notOk(doc.warnings.some((w: string) => w.includes(listed) || w.includes(found)), `no warning about these groups: ${doc.warnings.join('; ')}`)

  const group = (name: string): Filter[] => f.calls.filter((c) => c.logGroupName === `/aws/eks/${name}/cluster`)
  for (const [name, events] of [[listed, his.length + others.length], [found, his.length]] as const) {
    const g = group(name)
    t.equal(g.length, 2 + Math.ceil(events / 2), `${name}: 2 throttled answers retried, then ${events} events in pages of two`)
    t.ok(g.every((c) => c.filterPattern === `{ $.user.username = "${user}" }` && c.logStreamNamePrefix === 'kube-apiserver-audit' && c.limit === 2), 'his username, the audit streams, small pages')
    t.ok(g.some((c) => c.nextToken !== undefined), 'nextToken followed')
    t.ok(g.every((c) => c.startTime === Date.parse(since) - 3_600_000), '--since, widened by the slack')
  }
})

t.test('AccessDenied on a group ends with a code and names the permission', async (t) => {
  const name = uniqueName('cw-denied')
  const f = await front(t, (q) => ({ status: 400, type: 'AccessDeniedException', message: `User: arn:aws:sts::123456789012:assumed-role/bastion-host/i-0 is not authorized to perform: logs:FilterLogEvents on resource: ${q.logGroupName}` }))
  const dir = t.testdir({})
  const config = configFile(dir, [`clusters: [{ name: ${name}, region: eu-west-1 }]`, `audit: { cloudwatch: { endpoint: "${f.url}" } }`, `shell: { audit: { file: ${dir}/sessions.jsonl } }`])
  const r = await audit(config, ['--user', user])
  t.equal(r.exitCode, 1)
  t.equal(r.stdout, '', 'no partial timeline')
  t.match(r.stderr, new RegExp(`needs logs:FilterLogEvents on arn:aws:logs:eu-west-1:<account>:log-group:/aws/eks/${name}/cluster:\\* \\(BASTION_ADMIN_AUDIT_CLOUDWATCH_DENIED\\)`))
  t.equal(f.calls.length, 1, 'not retried')
})

t.test('two hosts\' trails (directories and a log group per kind with a stream per host) and CloudTrail make one timeline', async (t) => {
  const dir = t.testdir({})
  const key = 'ASIAEXAMPLEHOSTB0WFQW'
  // bastion-a: its directory. bastion-b: its log streams (and its directory too, as a
  // copy left on disk would be: its lines count once).
  mkdirSync(join(dir, 'bastion-a'))
  mkdirSync(join(dir, 'bastion-b'))
  const aLines = [sessionStart(user, 'sa', '2026-11-26T20:00:00.000Z'), issued(user, '2026-11-26T20:00:01.000Z', 'AAAA'), sessionEnd(user, 'sa', '2026-11-26T20:09:00.000Z')]
  const bSessions = [sessionStart(user, 'sb', '2026-11-26T20:02:00.000Z'), sessionStart('pocahontas', 'sp', '2026-11-26T20:02:30.000Z'), sessionEnd(user, 'sb', '2026-11-26T20:05:00.000Z')]
  const bCreds = [issued(user, '2026-11-26T20:02:01.000Z', key.slice(-4))]
  writeFileSync(join(dir, 'bastion-a', 'sessions.jsonl'), aLines.filter((l) => 'event' in l).map((l) => JSON.stringify(l)).join('\n') + '\n')
  writeFileSync(join(dir, 'bastion-a', 'credentials.jsonl'), JSON.stringify(aLines[1]) + '\n')
  writeFileSync(join(dir, 'bastion-b', 'sessions.jsonl'), bSessions.map((l) => JSON.stringify(l)).join('\n') + '\n')
  const at = (line: object): { timestamp: number, message: string } => {
    const time = (line as { time: string | number }).time
    return { timestamp: typeof time === 'number' ? time : Date.parse(time), message: JSON.stringify(line) }
  }
  const sessionsGroup = `/bastion/${uniqueName('sessions')}`
  const credentialsGroup = `/bastion/${uniqueName('credentials')}`
  const trailGroup = uniqueName('aws-cloudtrail-logs')
  await logGroup(t, 'us-east-1', sessionsGroup, { 'bastion-b': bSessions.map(at), 'bastion-c': [] })
  await logGroup(t, 'us-east-1', credentialsGroup, { 'bastion-b': bCreds.map(at) })
  const trail = [
    proxyAssumeRole('2026-11-26T20:02:00.500Z', user, key),
    roleCall('2026-11-26T20:03:00.000Z', { role: user, session: user, sourceIdentity: user, accessKeyId: key, eventName: 'ListBuckets' }),
    roleCall('2026-11-26T20:04:00.000Z', { role: user, session: user, sourceIdentity: user, accessKeyId: key, eventName: 'GetObject', errorCode: 'AccessDenied' }),
    roleCall('2026-11-26T20:04:30.000Z', { role: 'pocahontas', session: 'pocahontas', sourceIdentity: 'pocahontas', eventName: 'PutObject' })
  ]
  await logGroup(t, 'us-east-1', trailGroup, { '123456789012_CloudTrail_us-east-1': trail.map((r) => ({ timestamp: Date.parse(r.eventTime as string), message: JSON.stringify(r) })) })
  const f = await front(t)
  const config = configFile(dir, [
    'aws: { region: us-east-1 }',
    `shell: { audit: { file: ${dir}/here/sessions.jsonl } }`,
    `metadataproxy: { log: { auditFile: ${dir}/here/credentials.jsonl } }`,
    `audit: { hostDirs: { bastion-a: ${dir}/bastion-a, bastion-b: ${dir}/bastion-b }, cloudwatch: { endpoint: "${f.url}", pageSize: 1, sessionsLogGroup: ${sessionsGroup}, credentialsLogGroup: ${credentialsGroup}, cloudTrail: { logGroup: ${trailGroup} } } }`
  ])
  const r = await audit(config, ['--user', user, '--since', '2026-11-26T19:00:00Z', '--until', '2026-11-26T21:00:00Z', '--json'])
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stderr.includes('page'), false, 'no progress line when stderr is not a terminal')
  const doc = JSON.parse(r.stdout)
  const show = (e: Record<string, string>): string => e.kind === 'aws' ? `aws ${e.eventName}${e.errorCode !== null ? ` ${e.errorCode}` : ''} ...${e.accessKeyIdSuffix}` : e.kind === 'ssh' ? `${e.host} ssh ${e.session} ${e.event}` : `${e.host} credentials ...${e.accessKeyIdSuffix}`
  t.same(doc.entries.map(show), [
    'bastion-a ssh sa start',
    'bastion-a credentials ...AAAA',
    'bastion-b ssh sb start',
    'aws AssumeRole ...WFQW',
    'bastion-b credentials ...WFQW',
    'aws ListBuckets ...WFQW',
    'aws GetObject AccessDenied ...WFQW',
    'bastion-b ssh sb end',
    'bastion-a ssh sa end'
  ], 'one timeline, ordered, each event once, each ssh and credentials entry naming its host, the AWS calls tied by the key')
  t.match(doc.entries.find((e: { kind: string }) => e.kind === 'aws'), { service: 'sts.amazonaws.com', region: 'us-east-1' })
  t.ok(f.calls.filter((c) => c.logGroupName === sessionsGroup).length >= 3, 'the sessions group read a page of one at a time')

  const text = await audit(config, ['--user', user, '--since', '2026-11-26T19:00:00Z', '--until', '2026-11-26T21:00:00Z'])
  t.match(text.stdout, /2 ssh sessions, 2 credential issues, 0 Kubernetes calls, 3 AWS calls, on 2 hosts/)
  t.match(text.stdout, /ssh {10}bastion-b: session sb started/)
  t.match(text.stdout, /aws {10}s3\.amazonaws\.com GetObject in eu-west-1 -> AccessDenied, access key \.\.\.WFQW/)

  // On a terminal, a progress line is drawn on stderr while pages are fetched.
  const term = spawnPty(NODE, [BASTION, '-c', config, 'audit', '--user', user, '--since', '2026-11-26T19:00:00Z', '--until', '2026-11-26T21:00:00Z'], { name: 'xterm', cols: 200, rows: 40, env: { ...EMULATOR_ENV, PATH: '/usr/bin:/bin' } })
  let out = ''
  term.onData((d) => { out += d })
  await new Promise<void>((resolve) => term.onExit(() => resolve()))
  t.match(out, new RegExp(`bastion audit: reading aws \\(CloudTrail\\) from CloudWatch Logs: page \\d+, \\d+ events?`))
  t.match(out, /Audit trail of/)
})
