import t from 'tap'
import { awsEntries, cloudTrailPattern } from '../../src/audit/cloudtrail.ts'
import type { JsonLine } from '../../src/audit/log-files.ts'
import { proxyAssumeRole, roleCall } from './cloudtrail-records.ts'
import { collect } from './fixtures.ts'

async function * lines (values: unknown[]): AsyncGenerator<JsonLine> {
  let line = 0
  for (const value of values) yield { file: 'cloudwatch:us-east-1:trail:123456789012_CloudTrail_us-east-1', line: ++line, value }
}

const roles = new Set(['johnsmith'])

t.test('calls by his sourceIdentity are his, with service, region, error and the key suffix', async (t) => {
  const r = await awsEntries(lines([
    roleCall('2026-11-26T20:00:05.000Z', { eventName: 'ListBuckets' }),
    roleCall('2026-11-26T20:00:06.000Z', { eventName: 'GetObject', errorCode: 'AccessDenied', awsRegion: 'us-east-1', role: 'other-role' })
  ]), 'johnsmith', roles, collect())
  t.same(r.entries, [{
    kind: 'aws',
    time: '2026-11-26T20:00:05.000Z',
    origin: { file: 'cloudwatch:us-east-1:trail:123456789012_CloudTrail_us-east-1', line: 1 },
    eventId: '2026-11-26T20:00:05.000Z-ListBuckets',
    eventName: 'ListBuckets',
    service: 's3.amazonaws.com',
    region: 'eu-west-1',
    errorCode: null,
    arn: 'arn:aws:sts::123456789012:assumed-role/johnsmith/johnsmith',
    sourceIdentity: 'johnsmith',
    accessKeyIdSuffix: 'WFQW',
    sourceIp: '198.51.100.7'
  }, {
    kind: 'aws',
    time: '2026-11-26T20:00:06.000Z',
    origin: { file: 'cloudwatch:us-east-1:trail:123456789012_CloudTrail_us-east-1', line: 2 },
    eventId: '2026-11-26T20:00:06.000Z-GetObject',
    eventName: 'GetObject',
    service: 's3.amazonaws.com',
    region: 'us-east-1',
    errorCode: 'AccessDenied',
    arn: 'arn:aws:sts::123456789012:assumed-role/other-role/johnsmith',
    sourceIdentity: 'johnsmith',
    accessKeyIdSuffix: 'WFQW',
    sourceIp: '198.51.100.7'
  }], 'sourceIdentity names him whatever the role')
  t.same(r.foreign, new Map())
})

t.test('without a sourceIdentity, the session name counts only under one of his roles', async (t) => {
  const w = collect()
  const r = await awsEntries(lines([
    roleCall('2026-11-26T20:00:01.000Z', { sourceIdentity: null, eventName: 'DescribeInstances' }),
    roleCall('2026-11-26T20:00:02.000Z', { sourceIdentity: null, role: 'ops-admin', eventName: 'TerminateInstances' }),
    roleCall('2026-11-26T20:00:03.000Z', { sourceIdentity: null, role: 'ops-admin', eventName: 'StopInstances' }),
    roleCall('2026-11-26T20:00:04.000Z', { sourceIdentity: 'pocahontas', eventName: 'PutObject' }),
    roleCall('2026-11-26T20:00:05.000Z', { sourceIdentity: null, session: 'pocahontas' })
  ]), 'johnsmith', roles, w)
  t.same(r.entries.map((e) => e.eventName), ['DescribeInstances'])
  t.equal(r.entries[0]?.sourceIdentity, null)
  t.same([...r.foreign], [['arn:aws:sts::123456789012:assumed-role/ops-admin/johnsmith', 2]])
  t.same(w.all, [])
})

t.test('the proxy\'s AssumeRole for him is his, with the new key\'s suffix and no secret', async (t) => {
  const r = await awsEntries(lines([proxyAssumeRole('2026-11-26T20:00:00.000Z', 'johnsmith', 'ASIANEWKEYEXAMPLEWFQW'), proxyAssumeRole('2026-11-26T20:00:00.000Z', 'pocahontas', 'ASIAOTHERKEY00000001')]), 'johnsmith', roles, collect())
  t.equal(r.entries.length, 1)
  t.match(r.entries[0], { eventName: 'AssumeRole', service: 'sts.amazonaws.com', accessKeyIdSuffix: 'WFQW', arn: 'arn:aws:sts::123456789012:assumed-role/johnsmith/johnsmith', sourceIdentity: 'johnsmith' })
  t.notMatch(JSON.stringify(r.entries), /IQoJ|ASIANEWKEY/, 'neither the session token nor the whole key')
})

t.test('a record seen twice counts once; a record of his without its fields is skipped with a warning', async (t) => {
  const w = collect()
  const call = roleCall('2026-11-26T20:00:05.000Z')
  const broken = { ...roleCall('2026-11-26T20:00:06.000Z'), eventName: undefined }
  const r = await awsEntries(lines([call, call, broken, 'not an object', { eventName: 'x' }]), 'johnsmith', roles, w)
  t.equal(r.entries.length, 1)
  t.same(w.all, ['aws (CloudTrail): cloudwatch:us-east-1:trail:123456789012_CloudTrail_us-east-1: line 3 of johnsmith skipped, not a CloudTrail record'])
})

t.test('a record without a key or an IP still counts', async (t) => {
  const call = roleCall('2026-11-26T20:00:05.000Z') as { userIdentity: Record<string, unknown>, sourceIPAddress?: string }
  delete call.userIdentity.accessKeyId
  delete call.sourceIPAddress
  const issue = proxyAssumeRole('2026-11-26T20:00:00.000Z', 'johnsmith', 'ASIAX') as { responseElements: unknown }
  issue.responseElements = null
  const r = await awsEntries(lines([call, issue]), 'johnsmith', roles, collect())
  t.match(r.entries, [{ accessKeyIdSuffix: null, sourceIp: null }, { accessKeyIdSuffix: null, arn: 'arn:aws:sts::123456789012:assumed-role/bastion-host/i-0123456789abcdef0' }])
})

t.test('the filter pattern asks for his sourceIdentity, his session name, or an AssumeRole for him', async (t) => {
  t.equal(cloudTrailPattern('johnsmith'), '{ ($.userIdentity.sessionContext.sourceIdentity = "johnsmith") || ($.userIdentity.arn = "*/johnsmith") || ($.requestParameters.sourceIdentity = "johnsmith") }')
})
