import t from 'tap'
import { join } from 'node:path'
import { buildTimeline } from '../../src/audit/timeline.ts'
import { issued, kubeEvent, sessionEnd, sessionStart, tempDir, writeLines } from './fixtures.ts'

function story (dir: string): { sessions: string, credentials: string, kube: string } {
  return {
    sessions: writeLines(join(dir, 'sessions.jsonl'), [
      sessionStart('johnsmith', 's1', '2026-11-26T20:00:00.000Z'),
      sessionEnd('johnsmith', 's1', '2026-11-26T20:10:00.000Z')
    ]),
    credentials: writeLines(join(dir, 'credentials.jsonl'), [issued('johnsmith', '2026-11-26T20:00:01.000Z', 'WFQW', 'johnsmith-role')]),
    kube: writeLines(join(dir, 'audit.log'), [
      kubeEvent('johnsmith', 'k2', '2026-11-26T20:05:00Z', { role: 'johnsmith-role' }),
      kubeEvent('johnsmith', 'k1', '2026-11-26T20:00:02Z', { role: 'johnsmith' })
    ])
  }
}

t.test('the three trails merge into one timeline sorted by time', async (t) => {
  const f = story(tempDir(t))
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: {}, sources: { sessions: f.sessions, credentials: f.credentials, kube: [{ cluster: 'hyades', file: f.kube }] } })
  t.same(tl.warnings, [])
  t.equal(tl.readable, 3)
  t.same(tl.roles, ['johnsmith', 'johnsmith-role'], 'the configured role and the one the proxy issued')
  t.same(tl.entries.map((e) => `${e.time} ${e.kind}`), [
    '2026-11-26T20:00:00.000Z ssh',
    '2026-11-26T20:00:01.000Z credentials',
    '2026-11-26T20:00:02.000Z kubernetes',
    '2026-11-26T20:05:00.000Z kubernetes',
    '2026-11-26T20:10:00.000Z ssh'
  ])
})

t.test('--since and --until bound the timeline, both ends included', async (t) => {
  const f = story(tempDir(t))
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: { since: '2026-11-26T20:00:01.000Z', until: '2026-11-26T20:05:00.000Z' }, sources: { sessions: f.sessions, credentials: f.credentials, kube: [{ cluster: 'hyades', file: f.kube }] } })
  t.same(tl.entries.map((e) => e.time), ['2026-11-26T20:00:01.000Z', '2026-11-26T20:00:02.000Z', '2026-11-26T20:05:00.000Z'])
})

t.test('without a proxy audit file or a kube log, the timeline says what it lacks', async (t) => {
  const f = story(tempDir(t))
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: {}, sources: { sessions: f.sessions, credentials: null, kube: [] } })
  t.equal(tl.readable, 1)
  t.same(tl.entries.map((e) => e.kind), ['ssh', 'ssh'])
  t.match(tl.warnings, [/metadataproxy\.log\.auditFile is not set/, /no kube-apiserver audit log is configured/])
})

t.test('a role only the proxy log knows is his; a call by an unknown role is a warning', async (t) => {
  const dir = tempDir(t)
  const f = story(dir)
  const kube = writeLines(join(dir, 'audit2.log'), [kubeEvent('johnsmith', 'x', '2026-11-26T20:00:03Z', { role: 'someone-else' })])
  const kube3 = writeLines(join(dir, 'audit3.log'), [kubeEvent('johnsmith', 'y1', '2026-11-26T20:00:03Z', { role: 'other' }), kubeEvent('johnsmith', 'y2', '2026-11-26T20:00:04Z', { role: 'other' })])
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: {}, sources: { sessions: f.sessions, credentials: f.credentials, kube: [{ cluster: 'hyades', file: f.kube }, { cluster: 'pleiades', file: kube }, { cluster: 'maia', file: kube3 }] } })
  t.equal(tl.entries.filter((e) => e.kind === 'kubernetes').length, 2)
  t.same(tl.warnings, ['kubernetes (pleiades): 1 call as Kubernetes user johnsmith by another principal (arn:aws:sts::123456789012:assumed-role/someone-else/johnsmith), left out: check the identity mapping',
    'kubernetes (maia): 2 calls as Kubernetes user johnsmith by another principal (arn:aws:sts::123456789012:assumed-role/other/johnsmith), left out: check the identity mapping'])
})

t.test('with every trail missing, nothing is readable and each is named', async (t) => {
  const dir = tempDir(t)
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: {}, sources: { sessions: join(dir, 'a'), credentials: join(dir, 'b'), kube: [{ cluster: 'hyades', file: join(dir, 'c') }] } })
  t.equal(tl.readable, 0)
  t.equal(tl.entries.length, 0)
  t.equal(tl.warnings.length, 3)
  t.match(tl.warnings.join('\n'), /ssh sessions: .*\/a does not exist[^]*credentials: .*\/b does not exist[^]*kubernetes \(hyades\): .*\/c does not exist/)
})

t.test('several hosts\' trails merge into one timeline, ordered, each event once, each naming its host', async (t) => {
  const dir = tempDir(t)
  const local = story(dir)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'b'))
  writeLines(join(dir, 'b', 'sessions.jsonl'), [sessionStart('johnsmith', 'sb', '2026-11-26T20:03:00.000Z'), sessionEnd('johnsmith', 'sb', '2026-11-26T20:04:00.000Z')])
  writeLines(join(dir, 'b', 'credentials.jsonl'), [issued('johnsmith', '2026-11-26T20:03:01.000Z', 'BBBB', 'johnsmith-b')])
  const remote = {
    // bastion-b's directory given twice, as a copy would be: its events still count once.
    hostDirs: [{ host: 'bastion-b', dir: join(dir, 'b') }, { host: 'bastion-b', dir: join(dir, 'b') }],
    groups: { kube: [], cloudTrail: null, sessions: null, credentials: null },
    cloudwatch: null
  }
  const tl = await buildTimeline({ user: 'johnsmith', role: 'johnsmith', range: {}, remote, sources: { sessions: local.sessions, credentials: local.credentials, kube: [{ cluster: 'hyades', file: local.kube }] } })
  t.same(tl.warnings, [])
  t.equal(tl.readable, 7)
  t.ok(tl.roles.includes('johnsmith-b'), 'a role issued on another host is his too')
  const { hostname } = await import('node:os')
  const here = hostname()
  t.same(tl.entries.map((e) => `${e.time} ${e.kind}${e.kind === 'ssh' || e.kind === 'credentials' ? ` ${e.host}` : ''}`), [
    `2026-11-26T20:00:00.000Z ssh ${here}`,
    `2026-11-26T20:00:01.000Z credentials ${here}`,
    '2026-11-26T20:00:02.000Z kubernetes',
    '2026-11-26T20:03:00.000Z ssh bastion-b',
    '2026-11-26T20:03:01.000Z credentials bastion-b',
    '2026-11-26T20:04:00.000Z ssh bastion-b',
    '2026-11-26T20:05:00.000Z kubernetes',
    `2026-11-26T20:10:00.000Z ssh ${here}`
  ])
})
