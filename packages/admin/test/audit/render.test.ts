import t from 'tap'
import { renderJson, renderText, safe } from '../../src/audit/render.ts'
import type { Timeline } from '../../src/audit/timeline.ts'

const origin = { file: '/x', line: 1 }
const timeline: Timeline = {
  user: 'johnsmith',
  range: { since: '2026-11-26T00:00:00.000Z' },
  roles: ['johnsmith'],
  readable: 3,
  warnings: ['a warning'],
  entries: [
    { kind: 'ssh', time: '2026-11-26T20:00:00.000Z', origin, host: 'bastion-a', event: 'start', session: 's1', source: '127.0.0.1:4000', container: 'shell-johnsmith-1', command: null, tty: true, recording: '/var/log/bastion/recordings/johnsmith/a b.cast', statedReason: 'INC-123 pods crash-looping' },
    { kind: 'credentials', time: '2026-11-26T20:00:01.000Z', origin, host: 'bastion-a', role: 'arn:aws:iam::123456789012:role/johnsmith', container: 'shell-johnsmith-1', containerId: 'abc', ip: '10.250.0.2', accessKeyIdSuffix: 'WFQW', expiration: '2026-11-26T21:00:00Z' },
    { kind: 'kubernetes', time: '2026-11-26T20:00:02.000Z', origin, cluster: 'hyades', auditId: 'k1', verb: 'list', resource: 'pods', namespace: null, name: null, requestUri: '/api/v1/pods', code: 200, decision: 'allow', arn: 'arn:aws:sts::123456789012:assumed-role/johnsmith/johnsmith', accessKeyIdSuffix: 'WFQW', sourceIps: [], userAgent: null },
    { kind: 'kubernetes', time: '2026-11-26T20:00:03.000Z', origin, cluster: 'hyades', auditId: 'k2', verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io', namespace: null, name: 'x', requestUri: '/apis/...', code: 403, decision: 'forbid', arn: 'a', accessKeyIdSuffix: null, sourceIps: [], userAgent: null },
    { kind: 'kubernetes', time: '2026-11-26T20:00:04.000Z', origin, cluster: 'hyades', auditId: 'k3', verb: 'get', resource: 'pods/exec', namespace: 'taurus', name: 'web', requestUri: '/api/...', code: null, decision: null, arn: 'a', accessKeyIdSuffix: null, sourceIps: [], userAgent: null },
    { kind: 'kubernetes', time: '2026-11-26T20:00:05.000Z', origin, cluster: 'hyades', auditId: 'k4', verb: 'get', resource: null, namespace: null, name: null, requestUri: '/version', code: 200, decision: 'allow', arn: 'a', accessKeyIdSuffix: null, sourceIps: [], userAgent: null },
    { kind: 'ssh', time: '2026-11-26T20:10:00.000Z', origin, host: 'bastion-a', event: 'end', session: 's1', source: null, container: 'c', command: null, tty: true, recording: null, exitCode: 0, durationMs: 600_000, reason: 'exited', statedReason: 'INC-123 pods crash-looping' },
    { kind: 'ssh', time: '2026-11-26T20:11:00.000Z', origin, host: 'bastion-a', event: 'start', session: 's2', source: null, container: 'c', command: 'echo \u001b]0;owned\u0007', tty: false, recording: null },
    { kind: 'ssh', time: '2026-11-26T20:11:01.000Z', origin, host: 'bastion-a', event: 'end', session: 's2', source: null, container: 'c', command: null, tty: false, recording: null }
  ]
}

t.test('the text timeline: a summary line, then one line per event with its recording link', async (t) => {
  const lines = renderText(timeline).split('\n')
  t.equal(lines[0], 'Audit trail of johnsmith from 2026-11-26T00:00:00.000Z to now: 2 ssh sessions, 1 credential issue, 4 Kubernetes calls')
  t.same(lines.slice(2), [
    '2026-11-26T20:00:00.000Z  ssh          session s1 started from 127.0.0.1:4000: interactive login (tty), container shell-johnsmith-1',
    '                                       reason: INC-123 pods crash-looping',
    '                                       recording: file:///var/log/bastion/recordings/johnsmith/a%20b.cast',
    '2026-11-26T20:00:01.000Z  credentials  credentials for arn:aws:iam::123456789012:role/johnsmith issued to shell-johnsmith-1 (10.250.0.2), access key ...WFQW, expiring 2026-11-26T21:00:00Z',
    '2026-11-26T20:00:02.000Z  kubernetes   hyades: list pods (cluster-wide) -> 200 allow, access key ...WFQW',
    '2026-11-26T20:00:03.000Z  kubernetes   hyades: create clusterrolebindings.rbac.authorization.k8s.io x -> 403 forbid',
    '2026-11-26T20:00:04.000Z  kubernetes   hyades: get pods/exec web in namespace taurus -> no response',
    '2026-11-26T20:00:05.000Z  kubernetes   hyades: get /version -> 200 allow',
    '2026-11-26T20:10:00.000Z  ssh          session s1 ended after 600.0 s: exit 0 (exited)',
    '2026-11-26T20:11:00.000Z  ssh          session s2 started: command "echo \\u001b]0;owned\\u0007", container c',
    '2026-11-26T20:11:01.000Z  ssh          session s2 ended: exit ?',
    ''
  ])
})

t.test('an empty timeline is its summary line alone', async (t) => {
  t.equal(renderText({ ...timeline, range: {}, entries: [] }), 'Audit trail of johnsmith from the beginning to now: 0 ssh sessions, 0 credential issues, 0 Kubernetes calls\n')
})

t.test('no control character from a log reaches the terminal', async (t) => {
  t.equal(safe('a\u001b[2Jb\u0007c\u009bd\ne'), 'a\\x1b[2Jb\\x07c\\x9bd\\x0ae')
  t.notMatch(renderText(timeline), /\u001b|\u0007/) // eslint-disable-line no-control-regex
})

t.test('a stated reason from an old or forged line is escaped too: no escape, bidi override or line break', async (t) => {
  t.equal(safe('INC-1 \u202egnp.exe\u2066\u200d\u2028\ud800'), 'INC-1 \\u202egnp.exe\\u2066\\u200d\\u2028\\ud800')
  const [start] = timeline.entries
  const forged = renderText({ ...timeline, entries: [{ ...start, statedReason: 'INC-1\u001b[2J\u001b[31m \u202eevil\nsession s9 ended' }] as Timeline['entries'] })
  t.equal(forged.split('\n')[3], '                                       reason: INC-1\\x1b[2J\\x1b[31m \\u202eevil\\x0asession s9 ended')
  t.notMatch(forged, /[\u001b\u202e]/) // eslint-disable-line no-control-regex
  t.equal(forged.split('\n').length, 6, 'the reason adds one line and no more')
})

t.test('--json: user, range, roles, the entries as they are, and the warnings', async (t) => {
  const doc = JSON.parse(renderJson(timeline))
  t.same(Object.keys(doc), ['user', 'since', 'until', 'roles', 'entries', 'warnings'])
  t.equal(doc.until, null)
  t.same(doc.entries, timeline.entries)
  t.same(doc.warnings, ['a warning'])
})

t.test('with several hosts, ssh and credentials lines name theirs; AWS calls are counted and shown', async (t) => {
  const [first, cred] = timeline.entries
  const start = { ...first, statedReason: undefined }
  const entries = [
    start,
    { ...start, host: 'bastion-b', time: '2026-11-26T20:00:00.500Z' },
    cred,
    { kind: 'aws', time: '2026-11-26T20:00:06.000Z', origin, eventId: 'e1', eventName: 'GetObject', service: 's3.amazonaws.com', region: 'eu-west-1', errorCode: 'AccessDenied', arn: 'a', sourceIdentity: 'johnsmith', accessKeyIdSuffix: 'WFQW', sourceIp: null },
    { kind: 'aws', time: '2026-11-26T20:00:07.000Z', origin, eventId: 'e2', eventName: 'ListBuckets', service: 's3.amazonaws.com', region: 'eu-west-1', errorCode: null, arn: 'a', sourceIdentity: 'johnsmith', accessKeyIdSuffix: null, sourceIp: null }
  ] as Timeline['entries']
  const lines = renderText({ ...timeline, entries }).split('\n')
  t.equal(lines[0], 'Audit trail of johnsmith from 2026-11-26T00:00:00.000Z to now: 2 ssh sessions, 1 credential issue, 0 Kubernetes calls, 2 AWS calls, on 2 hosts', 'the same session id on two hosts is two sessions')
  t.match(lines[2], /^2026-11-26T20:00:00\.000Z {2}ssh {10}bastion-a: session s1 started/)
  t.match(lines[4], /^2026-11-26T20:00:00\.500Z {2}ssh {10}bastion-b: session s1 started/)
  t.match(lines[6], /^2026-11-26T20:00:01\.000Z {2}credentials {2}bastion-a: credentials for/)
  t.equal(lines[7], '2026-11-26T20:00:06.000Z  aws          s3.amazonaws.com GetObject in eu-west-1 -> AccessDenied, access key ...WFQW')
  t.equal(lines[8], '2026-11-26T20:00:07.000Z  aws          s3.amazonaws.com ListBuckets in eu-west-1 -> ok')
  t.equal(renderText({ ...timeline, entries: [entries[3]] as Timeline['entries'] }).split('\n')[0], 'Audit trail of johnsmith from 2026-11-26T00:00:00.000Z to now: 0 ssh sessions, 0 credential issues, 0 Kubernetes calls, 1 AWS call')
})
