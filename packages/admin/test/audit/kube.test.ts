import t from 'tap'
import { join } from 'node:path'
import { assumedRoleName, kubeEntries, mappedUsername } from '../../src/audit/kube.ts'
import { ACCOUNT, collect, kubeEvent, tempDir, writeLines } from './fixtures.ts'

const ROLES = new Set(['johnsmith'])

t.test('a call is his when the username is his and extra.arn names his assumed role', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'audit.log'), [
    kubeEvent('johnsmith', 'a1', '2026-11-26T20:00:00.123456Z', { verb: 'list', resource: 'pods' }),
    kubeEvent('johnsmith', 'a2', '2026-11-26T20:00:01.000000Z', { verb: 'create', resource: 'clusterrolebindings', code: 403, decision: 'forbid' }),
    kubeEvent('johnsmithy', 'a3', '2026-11-26T20:00:02.000000Z', { role: 'johnsmithy' })
  ])
  const w = collect()
  const { entries, foreign } = await kubeEntries('hyades', file, 'johnsmith', ROLES, w)
  t.same(w.all, [])
  t.same(foreign, [])
  t.same(entries.map((e) => [e.auditId, e.verb, e.resource, e.code, e.decision]), [['a1', 'list', 'pods', 200, 'allow'], ['a2', 'create', 'clusterrolebindings', 403, 'forbid']])
  t.match(entries[0], {
    kind: 'kubernetes', cluster: 'hyades', time: '2026-11-26T20:00:00.123Z', namespace: null, name: null,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/johnsmith/johnsmith`, accessKeyIdSuffix: 'WFQW', sourceIps: ['10.250.0.2'], requestUri: '/api/v1/pods', origin: { file, line: 1 }
  })
})

t.test('calls under his name from another principal are left out and reported', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'audit.log'), [
    kubeEvent('johnsmith', 'f1', '2026-11-26T20:00:00Z', { role: 'intruder' }),
    kubeEvent('johnsmith', 'f1', '2026-11-26T20:00:00Z', { role: 'intruder', stage: 'RequestReceived' }),
    kubeEvent('johnsmith', 'f2', '2026-11-26T20:00:01Z', { role: 'intruder' }),
    kubeEvent('johnsmith', 'f3', '2026-11-26T20:00:02Z', { arn: null }),
    kubeEvent('johnsmith', 'f4', '2026-11-26T20:00:03Z', { arn: `arn:aws:iam::${ACCOUNT}:user/johnsmith` })
  ])
  const { entries, foreign } = await kubeEntries('hyades', file, 'johnsmith', ROLES, collect())
  t.same(entries, [])
  t.same(foreign, [
    { username: 'johnsmith', principal: `arn:aws:sts::${ACCOUNT}:assumed-role/intruder/johnsmith`, count: 2 },
    { username: 'johnsmith', principal: 'no extra.arn', count: 1 },
    { username: 'johnsmith', principal: `arn:aws:iam::${ACCOUNT}:user/johnsmith`, count: 1 }
  ])
})

t.test('a login whose role is named otherwise is, in Kubernetes, the username rbacsync maps that role to', async (t) => {
  // shell.roles gives bt-carol the role carol-admin; rbacsync maps role/carol-admin to the
  // Kubernetes user carol-admin, and the proxy assumes it with session name bt-carol.
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'audit.log'), [
    kubeEvent('carol-admin', 'c1', '2026-11-26T20:00:00Z', { session: 'bt-carol', verb: 'get' }),
    kubeEvent('bt-carol', 'c2', '2026-11-26T20:00:01Z', { role: 'carol-admin', session: 'bt-carol' }),
    kubeEvent('carol-admin', 'c3', '2026-11-26T20:00:02Z', { session: 'mallory' }),
    kubeEvent('carol-admin', 'c4', '2026-11-26T20:00:03Z', { role: 'intruder', session: 'bt-carol' })
  ])
  const { entries, foreign } = await kubeEntries('hyades', file, 'bt-carol', new Set(['carol-admin']), collect())
  t.same(entries.map((e) => [e.auditId, e.verb, e.arn]), [['c1', 'get', `arn:aws:sts::${ACCOUNT}:assumed-role/carol-admin/bt-carol`]], 'his call, under the role\'s username')
  t.same(foreign, [
    { username: 'carol-admin', principal: `arn:aws:sts::${ACCOUNT}:assumed-role/carol-admin/mallory`, count: 1 },
    { username: 'carol-admin', principal: `arn:aws:sts::${ACCOUNT}:assumed-role/intruder/bt-carol`, count: 1 }
  ], 'his role in another session, and another role under his username, are reported; a user named like his login is not his')
  t.equal(mappedUsername('carol-admin'), 'carol-admin')
})

t.test('one request logged at several stages is one entry, from its most complete stage', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'audit.log'), [
    kubeEvent('johnsmith', 'w1', '2026-11-26T20:00:00Z', { stage: 'RequestReceived', verb: 'watch' }),
    kubeEvent('johnsmith', 'w1', '2026-11-26T20:00:00Z', { stage: 'ResponseStarted', verb: 'watch' }),
    kubeEvent('johnsmith', 'w1', '2026-11-26T20:00:00Z', { stage: 'ResponseComplete', verb: 'watch', code: 200 }),
    kubeEvent('johnsmith', 'w1', '2026-11-26T20:00:00Z', { stage: 'RequestReceived', verb: 'watch' }),
    kubeEvent('johnsmith', 'r1', '2026-11-26T20:00:01Z', { stage: 'RequestReceived' })
  ])
  const { entries } = await kubeEntries('hyades', file, 'johnsmith', ROLES, collect())
  t.same(entries.map((e) => [e.auditId, e.code, e.origin.line]), [['w1', 200, 3], ['r1', null, 5]])
})

t.test('namespaced, named, subresource and API-group requests, and non-resource URLs', async (t) => {
  const dir = tempDir(t)
  const exec = { ...kubeEvent('johnsmith', 'e1', '2026-11-26T20:00:00Z', { verb: 'create', namespace: 'taurus', name: 'web-1' }) as Record<string, any> } // eslint-disable-line @typescript-eslint/no-explicit-any
  exec.objectRef = { ...exec.objectRef, subresource: 'exec' }
  const deploy = kubeEvent('johnsmith', 'd1', '2026-11-26T20:00:01Z', { verb: 'create', resource: 'deployments', namespace: 'default' }) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  deploy.objectRef = { ...deploy.objectRef, apiGroup: 'apps' }
  const version = kubeEvent('johnsmith', 'v1', '2026-11-26T20:00:02Z', { verb: 'get' }) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  delete version.objectRef
  version.requestURI = '/version'
  const file = writeLines(join(dir, 'audit.log'), [exec, deploy, version])
  const { entries } = await kubeEntries('hyades', file, 'johnsmith', ROLES, collect())
  t.same(entries.map((e) => [e.resource, e.namespace, e.name, e.requestUri]), [
    ['pods/exec', 'taurus', 'web-1', '/api/v1/namespaces/taurus/pods'],
    ['deployments.apps', 'default', null, '/api/v1/namespaces/default/deployments'],
    [null, null, null, '/version']
  ])
})

t.test('nothing from a request or response body, and no full access key id, reaches an entry', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'audit.log'), [
    kubeEvent('johnsmith', 's1', '2026-11-26T20:00:00Z', {
      verb: 'create', resource: 'secrets', namespace: 'taurus', accessKeyId: 'ASIASECRETKEYIDFULL1',
      requestObject: { kind: 'Secret', data: { password: 'aHVudGVyMg==' }, stringData: { token: 'super-secret-token' } }
    })
  ])
  const { entries } = await kubeEntries('hyades', file, 'johnsmith', ROLES, collect())
  t.equal(entries.length, 1)
  const text = JSON.stringify(entries)
  t.notMatch(text, /aHVudGVyMg|super-secret-token|ASIASECRETKEYID/)
  t.equal(entries[0]?.accessKeyIdSuffix, 'ULL1')
})

t.test('events without an id, a time or a verb are skipped with a warning', async (t) => {
  const dir = tempDir(t)
  const broken = kubeEvent('johnsmith', 'b1', '2026-11-26T20:00:00Z') as Record<string, unknown>
  delete broken.auditID
  const file = writeLines(join(dir, 'audit.log'), [broken, { user: { username: 'johnsmith' }, auditID: 'x', stageTimestamp: 'soon', verb: 'get' }, kubeEvent('johnsmith', 'ok', '2026-11-26T20:00:00Z')])
  const w = collect()
  const { entries } = await kubeEntries('hyades', file, 'johnsmith', ROLES, w)
  t.same(entries.map((e) => e.auditId), ['ok'])
  t.same(w.all, [`kubernetes (hyades): ${file}: 2 lines (1, 2) of johnsmith skipped, not an audit event`])
})

t.test('assumedRoleName reads the role from an assumed-role ARN only', async (t) => {
  t.equal(assumedRoleName(`arn:aws:sts::${ACCOUNT}:assumed-role/johnsmith/johnsmith`), 'johnsmith')
  t.equal(assumedRoleName(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/r/s@x`), 'r')
  t.equal(assumedRoleName(`arn:aws:iam::${ACCOUNT}:role/johnsmith`), undefined)
  t.equal(assumedRoleName('johnsmith'), undefined)
})
