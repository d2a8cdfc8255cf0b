// The audit trail where it lives on AWS, end to end on the local bastion (issue 16's
// story): johnsmith gives a reason and runs kubectl over ssh; his real kube-apiserver
// audit events are put into a log group as EKS delivers them, and a CloudTrail-shaped
// record of the proxy's AssumeRole for him into another, as a trail delivers it; the
// bastion's own logs (sessions, credentials, the index of recordings) are shipped by
// `bastion ship` to moto's CloudWatch Logs and his recording to moto's S3; the local
// copies are deleted; and `bastion audit --user johnsmith`, with only CloudWatch and S3
// left, shows his session with its reason, the credential, the kube call and the
// CloudTrail event, in order, with the recording's S3 link.
import t from 'tap'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { execa } from 'execa'
import { parse, stringify } from 'yaml'
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { jsonLines, lineIn, localBastion, sleep, ssh } from '../../fixtures/e2e-bastion.ts'
import { seedPods } from '../../fixtures/e2e-cluster.ts'
import { BASTION } from '../../fixtures/toolbox.ts'
import { uniqueName } from '../../fixtures/authenticator.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { proxyAssumeRole } from '../../../packages/admin/test/audit/cloudtrail-records.ts'

const b = localBastion()
await seedPods()
const facts = bedFacts()
const moto = facts('BASTION_TEST_STS_ENDPOINT')
const KUBE_AUDIT_LOG = facts('BASTION_TEST_KUBE_AUDIT_LOG')
const NODE = '/opt/bastion/node/bin/node'
const REGION = 'us-east-1'
const credentials = { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY }
const logs = new CloudWatchLogsClient({ region: REGION, endpoint: moto, credentials })
const s3 = new S3Client({ region: REGION, endpoint: moto, credentials, forcePathStyle: true })
const sessionsLog: string = b.config.shell?.audit?.file ?? '/var/log/bastion/sessions.jsonl'
const credentialsLog: string = b.config.metadataproxy?.log?.auditFile
const REASON = 'INC-4711 pods of the web tier restart'

async function logGroup (name: string, stream: string, events: Array<{ timestamp: number, message: string }>): Promise<void> {
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }))
  t.teardown(() => logs.send(new DeleteLogGroupCommand({ logGroupName: name })).catch(() => undefined))
  await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: stream }))
  await logs.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: stream, logEvents: [...events].sort((a, c) => a.timestamp - c.timestamp) }))
}

async function run (config: string, args: string[]): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  const r = await execa(NODE, [BASTION, '-c', config, ...args], { reject: false, timeout: 120_000, env: { ...EMULATOR_ENV, PATH: '/usr/bin:/bin' }, extendEnv: false })
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}

// The local bastion asks for reasons while this test runs: `optional`, so that the other
// tests' logins are not refused, and a command's reason is recorded. The broker reads
// the mode again at most once a second.
async function reasonsOn (): Promise<void> {
  const text = readFileSync(b.configPath, 'utf8')
  t.teardown(async () => { writeFileSync(b.configPath, text); await sleep(1100) })
  const doc = parse(text) as { shell: Record<string, unknown> }
  doc.shell = { ...doc.shell, reason: 'optional' }
  writeFileSync(b.configPath, stringify(doc))
  await sleep(1100)
}

t.test('johnsmith\'s reason, credential, kube call and CloudTrail event, read back from CloudWatch and S3 alone', async (t) => {
  t.ok(credentialsLog, 'the bastion\'s config names the proxy\'s audit file')
  await reasonsOn()
  // A fresh container gets fresh credentials, so the call has its own issuance line.
  const old = (await execa('docker', ['ps', '-aq', '--filter', 'label=bastion.user=johnsmith'])).stdout.trim()
  if (old !== '') await execa('docker', ['rm', '-f', ...old.split('\n')])
  const since = new Date().toISOString()

  // 1. He gives a reason and runs kubectl over ssh.
  const call = await ssh(b, 'johnsmith', 'kubectl get pods -n default -o name', 90_000, ['-o', `SetEnv=BASTION_REASON="${REASON}"`])
  t.equal(call.exitCode, 0, 'kubectl succeeds', { stderr: call.stderr })
  t.match(call.stdout, /pod\/e2e-web/)
  const start = await lineIn(sessionsLog, (v) => v.event === 'session-start' && v.user === 'johnsmith' && v.time >= since)
  t.equal(start?.statedReason, REASON, 'the session log has his session with its reason')
  const end = await lineIn(sessionsLog, (v) => v.event === 'session-end' && v.session === start?.session)
  t.ok(end, 'and its end')
  t.ok(typeof start?.recording === 'string' && existsSync(start.recording), `its recording: ${start?.recording}`)
  const issued = await lineIn(credentialsLog, (v) => v.audit === 'credential-issued' && v.user === 'johnsmith' && v.time >= Date.parse(since))
  t.ok(issued, 'the proxy logged the credentials it issued to his container')

  // 2. His kube-apiserver audit events reach a log group as EKS delivers them, and the
  // proxy's AssumeRole for him reaches a trail's group as CloudTrail records it.
  let his: Array<Record<string, any>> = [] // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 100; i++) {
    his = jsonLines(KUBE_AUDIT_LOG).filter((v) => v.user?.username === 'johnsmith' && v.requestReceivedTimestamp >= since)
    if (his.some((v) => v.verb === 'list' && v.objectRef?.resource === 'pods' && v.stage === 'ResponseComplete')) break
    await sleep(200)
  }
  const listCall = his.find((v) => v.verb === 'list' && v.objectRef?.resource === 'pods' && v.stage === 'ResponseComplete')
  t.ok(listCall, 'kube-apiserver logged his list of pods')
  const kubeGroup = uniqueName('/aws/eks/story/cluster')
  await logGroup(kubeGroup, 'kube-apiserver-audit-5f2c9a', his.map((v) => ({ timestamp: Date.parse(v.stageTimestamp), message: JSON.stringify(v) })))
  const trailGroup = uniqueName('aws-cloudtrail-logs-story')
  const issuedAt = new Date(issued.time).toISOString()
  const assume = proxyAssumeRole(issuedAt, 'johnsmith', `ASIASTORYEXAMPLE${issued.accessKeyIdSuffix}`)
  await logGroup(trailGroup, `123456789012_CloudTrail_${REGION}`, [{ timestamp: issued.time, message: JSON.stringify(assume) }])

  // 3. The bastion's own logs are shipped: this host's files, copied as they are (the
  // shared bed's own files stay), and his recording.
  const dir = mkdtempSync('/var/lib/bt-story-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const here = join(dir, 'host')
  mkdirSync(join(here, 'recordings'), { recursive: true })
  copyFileSync(sessionsLog, join(here, basename(sessionsLog)))
  copyFileSync(credentialsLog, join(here, basename(credentialsLog)))
  mkdirSync(join(here, 'recordings', 'johnsmith'))
  const recordingFile = join(here, 'recordings', 'johnsmith', basename(start.recording))
  copyFileSync(start.recording, recordingFile)
  const bucket = uniqueName('bt-story').toLowerCase()
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  const groups = { sessions: uniqueName('/bastion/story/sessions'), credentials: uniqueName('/bastion/story/credentials'), recordings: uniqueName('/bastion/story/recordings') }
  // The operator makes the groups (CloudFormation); the shipper makes its host's streams.
  for (const g of Object.values(groups)) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: g }))
    t.teardown(() => logs.send(new DeleteLogGroupCommand({ logGroupName: g })).catch(() => undefined))
  }
  const host = 'bastion-story'
  const local = {
    aws: { region: REGION },
    shell: { audit: { file: join(here, basename(sessionsLog)), recordingsDir: join(here, 'recordings') } },
    metadataproxy: { log: { auditFile: join(here, basename(credentialsLog)) } }
  }
  const shipConfig = join(dir, 'ship.yaml')
  writeFileSync(shipConfig, stringify({
    ...local,
    ship: { enabled: true, host, endpoint: moto, stateDir: join(dir, 'ship'), sessionsLogGroup: groups.sessions, credentialsLogGroup: groups.credentials, recordingsLogGroup: groups.recordings, recordings: { bucket, prefix: 'bastion/recordings/' } }
  }))
  const shipped = await run(shipConfig, ['ship', '--once'])
  t.equal(shipped.exitCode, 0, 'bastion ship --once ships everything there is', { stderr: shipped.stderr })

  // 4. The local files are deleted.
  rmSync(here, { recursive: true, force: true })

  // 5. With only CloudWatch and S3 as sources, one timeline, read on another host (the
  // one that replaced bastion-story, say): his files there are not the shipped ones.
  const auditConfig = join(dir, 'audit.yaml')
  writeFileSync(auditConfig, stringify({
    ...local,
    audit: { cloudwatch: { endpoint: moto, sessionsLogGroup: groups.sessions, credentialsLogGroup: groups.credentials, kubeLogGroups: { hyades: { logGroup: kubeGroup, region: REGION } }, cloudTrail: { logGroup: trailGroup } } },
    ship: { host: 'bastion-after', recordings: { bucket, prefix: 'bastion/recordings/' } }
  }))
  const r = await run(auditConfig, ['audit', '--user', 'johnsmith', '--since', since, '--json'])
  t.equal(r.exitCode, 0, 'bastion audit succeeds', { stderr: r.stderr })
  const doc = JSON.parse(r.stdout)
  const entries = doc.entries as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
  const ssh0 = entries.find((e) => e.kind === 'ssh' && e.event === 'start' && e.session === start.session)
  t.match(ssh0, { host, statedReason: REASON }, 'his session, from the shipped log, with its reason')
  const key = `bastion/recordings/${host}/johnsmith/${basename(recordingFile)}`
  t.equal(ssh0?.recordingUrl, `s3://${bucket}/${key}`, 'its recording is linked in S3, the local file being gone')
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  t.match(await object.Body?.transformToString(), 'pod/e2e-web', 'and the object holds what he saw')
  // The kube call lies inside his session, after the key it was made with was issued
  // (and assumed: CloudTrail's eventTime has whole seconds, so that record may sort a
  // little ahead of the session's start line).
  const shown = entries.filter((e) => e.kind !== 'ssh' || e.session === start.session).map((e) =>
    e.kind === 'ssh' ? `ssh ${e.event}` : e.kind === 'aws' ? `aws ${e.eventName}` : e.kind === 'kubernetes' ? `kubernetes ${e.verb}` : e.kind)
  const at = (s: string): number => shown.indexOf(s)
  t.ok(at('ssh start') >= 0 && at('ssh start') < at('kubernetes list') && at('kubernetes list') < at('ssh end'), `the call within his session: ${shown.join(', ')}`)
  t.ok(at('aws AssumeRole') >= 0 && at('aws AssumeRole') < at('credentials') && at('credentials') < at('kubernetes list'), 'the AssumeRole, then the credential it gave, then the call made with it')
  t.match(entries.find((e) => e.kind === 'kubernetes' && e.auditId === listCall?.auditID), { cluster: 'hyades', resource: 'pods', namespace: 'default', accessKeyIdSuffix: issued.accessKeyIdSuffix }, 'the kube call, made with the key issued')
  t.match(entries.find((e) => e.kind === 'aws'), { eventName: 'AssumeRole', accessKeyIdSuffix: issued.accessKeyIdSuffix }, 'the CloudTrail event, tied by the same key')
  t.equal(entries.filter((e) => e.kind === 'credentials' && e.accessKeyIdSuffix === issued.accessKeyIdSuffix).length, 1, 'the credential, once')

  const text = await run(auditConfig, ['audit', '--user', 'johnsmith', '--since', since])
  t.equal(text.exitCode, 0)
  t.match(text.stdout, `reason: ${REASON}`)
  t.match(text.stdout, `recording: s3://${bucket}/${key}`)
})
