import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { awsTrails, distinct, otherHosts, type RemoteSources } from '../../src/audit/remote.ts'
import type { Entry } from '../../src/audit/entries.ts'
import { fakeLogs, logEvent } from './cloudwatch-fakes.ts'
import { proxyAssumeRole, roleCall } from './cloudtrail-records.ts'
import { collect, issued, kubeEvent, sessionEnd, sessionStart, tempDir, writeLines } from './fixtures.ts'

const settings = { pageSize: 2, maxAttempts: 2, timeoutMs: 1000 }
const noGroups = { kube: [], cloudTrail: null, sessions: null, credentials: null }
const local = { sessions: '/var/log/bastion/sessions.jsonl', credentials: '/var/log/bastion/credentials.jsonl' }

t.test('each host\'s directory is read under this host\'s file names, each entry naming its host', async (t) => {
  const dir = tempDir(t)
  for (const host of ['bastion-a', 'bastion-b']) {
    mkdirSync(join(dir, host))
    writeLines(join(dir, host, 'sessions.jsonl'), [sessionStart('johnsmith', `s-${host}`, '2026-11-26T20:00:00.000Z')])
    writeLines(join(dir, host, 'credentials.jsonl'), [issued('johnsmith', '2026-11-26T20:00:01.000Z', host === 'bastion-a' ? 'AAAA' : 'BBBB')])
  }
  const remote: RemoteSources = { hostDirs: [{ host: 'bastion-a', dir: join(dir, 'bastion-a') }, { host: 'bastion-b', dir: join(dir, 'bastion-b') }, { host: 'bastion-c', dir: join(dir, 'bastion-c') }], groups: noGroups, cloudwatch: null }
  const w = collect()
  const r = await otherHosts(remote, local, 'johnsmith', {}, w)
  t.same(r.ssh.map((e) => `${e.host} ${e.session}`), ['bastion-a s-bastion-a', 'bastion-b s-bastion-b'])
  t.same(r.credentials.map((e) => `${e.host} ${e.accessKeyIdSuffix}`), ['bastion-a AAAA', 'bastion-b BBBB'])
  t.equal(r.readable, 4)
  t.match(w.all, [/bastion-c\/sessions\.jsonl does not exist/, /bastion-c\/credentials\.jsonl does not exist/])
  const noCreds = await otherHosts(remote, { ...local, credentials: null }, 'johnsmith', {}, collect())
  t.same(noCreds.credentials, [], 'a host writing no credential file here is not asked for one there')
})

t.test('the hosts\' CloudWatch groups: one stream per host, his lines only, in the window', async (t) => {
  const api = fakeLogs({
    '/bastion/sessions': [
      logEvent('bastion-a', sessionStart('johnsmith', 's1', '2026-11-26T20:00:00.000Z')),
      logEvent('bastion-b', sessionStart('johnsmith', 's2', '2026-11-26T20:01:00.000Z')),
      logEvent('bastion-b', sessionStart('pocahontas', 's3', '2026-11-26T20:01:00.000Z')),
      logEvent('bastion-b', sessionEnd('johnsmith', 's2', '2026-11-26T20:02:00.000Z'))
    ],
    '/bastion/credentials': [logEvent('bastion-b', issued('johnsmith', '2026-11-26T20:01:01.000Z', 'BBBB'))]
  })
  const remote: RemoteSources = {
    hostDirs: [],
    groups: { ...noGroups, sessions: { region: 'eu-west-1', logGroup: '/bastion/sessions' }, credentials: { region: 'eu-west-1', logGroup: '/bastion/credentials' } },
    cloudwatch: { api, settings }
  }
  const r = await otherHosts(remote, local, 'johnsmith', { since: '2026-11-26T20:00:00.000Z', until: '2026-11-26T21:00:00.000Z' }, collect())
  t.same(r.ssh.map((e) => `${e.host} ${e.session} ${e.event}`), ['bastion-a s1 start', 'bastion-b s2 start', 'bastion-b s2 end'])
  t.same(r.credentials.map((e) => `${e.host} ${e.accessKeyIdSuffix}`), ['bastion-b BBBB'])
  t.equal(r.readable, 2)
  t.match(api.calls[0], { logGroupName: '/bastion/sessions', filterPattern: '{ $.user = "johnsmith" }', startTime: Date.parse('2026-11-26T19:00:00.000Z'), endTime: Date.parse('2026-11-26T22:00:00.000Z') }, 'the window, widened by an hour')
  t.equal(api.calls[0]?.logStreamNamePrefix, undefined, 'every host\'s stream')
  const missing = await otherHosts({ ...remote, cloudwatch: { api: fakeLogs({}), settings } }, local, 'johnsmith', {}, collect())
  t.equal(missing.readable, 0, 'groups that do not exist are not readable')
})

t.test('kube-apiserver events in an EKS log group parse as the file\'s do, foreign principals warned about', async (t) => {
  const group = '/aws/eks/hyades/cluster'
  const api = fakeLogs({
    [group]: [
      logEvent('kube-apiserver-audit-0a1b', kubeEvent('johnsmith', 'k1', '2026-11-26T20:00:02Z', { stage: 'RequestReceived' })),
      logEvent('kube-apiserver-audit-0a1b', kubeEvent('johnsmith', 'k1', '2026-11-26T20:00:02Z')),
      logEvent('kube-apiserver-audit-2c3d', kubeEvent('johnsmith', 'k2', '2026-11-26T20:00:03Z', { role: 'intruder' }))
    ],
    trail: [logEvent('123456789012_CloudTrail_eu-west-1', roleCall('2026-11-26T20:00:04.000Z')), logEvent('123456789012_CloudTrail_eu-west-1', proxyAssumeRole('2026-11-26T20:00:00.000Z', 'johnsmith', 'ASIAXWFQW')),
      logEvent('123456789012_CloudTrail_eu-west-1', roleCall('2026-11-26T20:00:05.000Z', { sourceIdentity: null, role: 'ops' }))]
  })
  const remote: RemoteSources = {
    hostDirs: [],
    groups: { ...noGroups, kube: [{ cluster: 'hyades', region: 'eu-west-1', logGroup: group, streamPrefix: 'kube-apiserver-audit' }], cloudTrail: { region: 'us-east-1', logGroup: 'trail' } },
    cloudwatch: { api, settings }
  }
  const w = collect()
  const r = await awsTrails(remote, 'johnsmith', new Set(['johnsmith']), {}, w)
  t.same(r.kube.map((e) => `${e.cluster} ${e.auditId} ${e.code}`), ['hyades k1 200'], 'one entry per request, its final stage')
  t.equal(r.kube[0]?.origin.file, `cloudwatch:eu-west-1:${group}:kube-apiserver-audit-0a1b`)
  t.same(r.aws.map((e) => e.eventName), ['ListBuckets', 'AssumeRole'])
  t.equal(r.readable, 2)
  t.match(api.calls[0], { logGroupName: group, logStreamNamePrefix: 'kube-apiserver-audit', filterPattern: '{ $.user.username = "johnsmith" }' })
  t.same(w.all, [
    'kubernetes (hyades): 1 call as Kubernetes user johnsmith by another principal (arn:aws:sts::123456789012:assumed-role/intruder/johnsmith), left out: check the identity mapping',
    'aws (CloudTrail): 1 call by a role session named johnsmith under a role that is not his (arn:aws:sts::123456789012:assumed-role/ops/johnsmith), left out'
  ])
  t.same(await awsTrails({ ...remote, cloudwatch: null }, 'johnsmith', new Set(), {}, collect()), { kube: [], aws: [], readable: 0 })
  const gone = await awsTrails({ ...remote, cloudwatch: { api: fakeLogs({}), settings } }, 'johnsmith', new Set(), {}, collect())
  t.equal(gone.readable, 0)
})

t.test('in an EKS log group he is the usernames his roles are mapped to, not his login', async (t) => {
  const group = '/aws/eks/hyades/cluster'
  const api = fakeLogs({
    [group]: [
      logEvent('kube-apiserver-audit-0a1b', kubeEvent('john-smith-admin', 'k1', '2026-11-26T20:00:02Z', { session: 'jsmith' })),
      logEvent('kube-apiserver-audit-0a1b', kubeEvent('jsmith-ro', 'k2', '2026-11-26T20:00:03Z', { session: 'jsmith' })),
      logEvent('kube-apiserver-audit-0a1b', kubeEvent('jsmith', 'k3', '2026-11-26T20:00:04Z'))
    ]
  })
  const remote: RemoteSources = { hostDirs: [], groups: { ...noGroups, kube: [{ cluster: 'hyades', region: 'eu-west-1', logGroup: group, streamPrefix: 'kube-apiserver-audit' }] }, cloudwatch: { api, settings } }
  const r = await awsTrails(remote, 'jsmith', new Set(['john-smith-admin', 'jsmith-ro']), {}, collect())
  t.same(r.kube.map((e) => e.auditId), ['k1', 'k2'], 'the calls of both his roles; his login name is nobody in Kubernetes')
  t.match(api.calls[0], { filterPattern: '{ $.user.username = "john-smith-admin" || $.user.username = "jsmith-ro" }' })
  const none = fakeLogs({ [group]: [] })
  t.same((await awsTrails({ ...remote, cloudwatch: { api: none, settings } }, 'jsmith', new Set(), {}, collect())).kube, [])
  t.equal(none.calls.length, 0, 'no role, no query: nobody in the cluster is him')
})

t.test('the same event from two sources is one entry', async (t) => {
  const origin = { file: 'f', line: 1 }
  const ssh: Entry = { kind: 'ssh', time: 't', origin, host: 'a', event: 'start', session: 's', source: null, container: 'c', command: null, tty: false, recording: null }
  const cred: Entry = { kind: 'credentials', time: 't', origin, host: 'a', role: 'r', container: 'c', containerId: '', ip: '', accessKeyIdSuffix: 'WFQW', expiration: '' }
  const kube: Entry = { kind: 'kubernetes', time: 't', origin, cluster: 'h', auditId: 'k', verb: 'get', resource: null, namespace: null, name: null, requestUri: '/', code: 200, decision: null, arn: 'a', accessKeyIdSuffix: null, sourceIps: [], userAgent: null }
  const aws: Entry = { kind: 'aws', time: 't', origin, eventId: 'e', eventName: 'n', service: 's', region: 'r', errorCode: null, arn: 'a', sourceIdentity: null, accessKeyIdSuffix: null, sourceIp: null }
  const all = [ssh, cred, kube, aws]
  t.same(distinct([...all, ...all.map((e) => ({ ...e, origin: { file: 'g', line: 2 } }))]), all)
  t.equal(distinct([ssh, { ...ssh, host: 'b' }]).length, 2, 'the same session id on two hosts is two sessions')
})
