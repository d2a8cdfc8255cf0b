// `bastion audit --verify --shipped HOST` against moto's CloudWatch Logs: a host's session
// log, shipped line by line to its stream, then changed here in ways its own chain
// cannot show (rewritten whole, cut at the end). The command, run as an operator would,
// says so with its code; an intact log passes; and with nothing shipped there is no
// copy to vouch for it.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { execa } from 'execa'
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { BASTION } from '../../fixtures/toolbox.ts'
import { uniqueName } from '../../fixtures/authenticator.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { appendChained } from '../../../packages/shell/src/audit-chain.ts'

const moto = bedFacts()('BASTION_TEST_STS_ENDPOINT')
const NODE = '/opt/bastion/node/bin/node'
const credentials = { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY }
const logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto, credentials })

const dir = mkdtempSync(join(tmpdir(), 'bt-verify-shipped-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const log = join(dir, 'sessions.jsonl')
const group = uniqueName('/bastion/verify/sessions')
const config = join(dir, 'bastion.yaml')
writeFileSync(config, `shell: { audit: { file: ${log} } }\naudit: { cloudwatch: { endpoint: "${moto}", region: us-east-1, sessionsLogGroup: "${group}" } }\n`)

const base = Date.now() - 60_000
const record = (i: number): object => ({ time: new Date(base + i * 1000).toISOString(), event: 'session-start', user: 'johnsmith', session: `s${i}` })
for (let i = 0; i < 4; i++) appendChained(log, record(i))
const lines = readFileSync(log, 'utf8').trimEnd().split('\n')

await logs.send(new CreateLogGroupCommand({ logGroupName: group }))
t.teardown(() => logs.send(new DeleteLogGroupCommand({ logGroupName: group })).catch(() => undefined))
await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'bastion-v' }))
// Shipped as a shipper does, one event per line, the line unchanged; one of them twice.
const events = [...lines, lines[0] as string].map((message) => ({ timestamp: Date.parse((JSON.parse(message) as { time: string }).time), message }))
await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'bastion-v', logEvents: events.sort((a, b) => a.timestamp - b.timestamp) }))

async function verify (...args: string[]): Promise<{ exitCode: number | undefined, stdout: string, stderr: string }> {
  const r = await execa(NODE, [BASTION, '-c', config, 'audit', '--verify', ...args], { reject: false, timeout: 60_000, env: { ...EMULATOR_ENV, PATH: '/usr/bin:/bin' }, extendEnv: false })
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}

t.test('an intact log and one more line not shipped yet pass', async (t) => {
  appendChained(log, record(4))
  const r = await verify('--shipped', 'bastion-v')
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout, `all 4 lines shipped to bastion-v's stream in ${group} (us-east-1) are in the local log; 1 local line is not in that copy`)
  t.match(r.stdout, /chain is unbroken: 5 lines/)
})

t.test('a log rewritten whole, its own chain consistent, fails against the copy', async (t) => {
  writeFileSync(log, '')
  for (const i of [0, 1, 3, 4]) appendChained(log, record(i))
  const alone = await verify()
  t.equal(alone.exitCode, 0, 'the local chain alone cannot show it')
  const r = await verify('--shipped', 'bastion-v')
  t.equal(r.exitCode, 1)
  t.match(r.stderr, 'BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH')
  t.match(r.stderr, /2 of the 4 lines shipped to bastion-v's stream .* are not in the local log: it was changed or cut after they left this host\. The first is event \d+ of the stream, session-start of session s2/)
})

t.test('a log cut at the end fails; a host with nothing shipped has no copy', async (t) => {
  writeFileSync(log, lines.slice(0, 3).join('\n') + '\n')
  t.equal((await verify()).exitCode, 0, 'the cut end leaves the chain whole')
  const r = await verify('--shipped', 'bastion-v')
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /1 of the 4 lines shipped .* session s3/)
  const none = await verify('--shipped', 'bastion-w')
  t.equal(none.exitCode, 1)
  t.match(none.stderr, /nothing shipped in bastion-w's stream[^]*BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH/)
  const bad = await verify('--shipped', '../x')
  t.equal(bad.exitCode, 1)
  t.match(bad.stderr, 'is not a host name')
})
