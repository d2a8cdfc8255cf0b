// The IAM adapter: every list pages through the SDK's paginators, writes send the
// right commands. The client is a real IAMClient whose send is replaced.
import t from 'tap'
import { IAMClient } from '@aws-sdk/client-iam'
import { iamApi, iamClient } from '../../src/iam/iam-api.ts'
import { createMeter } from '../../src/reconcile/meter.ts'

type Sent = { name: string, input: Record<string, unknown> }

function client (answers: (s: Sent) => unknown): { c: IAMClient, sent: Sent[] } {
  const c = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  const sent: Sent[] = []
  c.send = (async (command: { constructor: { name: string }, input: Record<string, unknown> }) => {
    const s = { name: command.constructor.name.replace(/Command$/, ''), input: { ...command.input } }
    sent.push(s)
    return answers(s)
  }) as never
  return { c, sent }
}

t.test('listGroups, groupMembers and listRoles follow Marker to the last page', async (t) => {
  const { c, sent } = client((s) => {
    const page = s.input.Marker === undefined ? 1 : 2
    if (s.name === 'ListGroups') return { Groups: [{ GroupName: `g${page}`, Path: '/p/', ...(page === 2 ? { CreateDate: new Date('2026-01-01T00:00:00Z') } : {}) }], ...(page === 1 ? { Marker: 'm1', IsTruncated: true } : {}) }
    if (s.name === 'GetGroup') return { Users: [{ UserName: `u${page}` }, {}], ...(page === 1 ? { Marker: 'm1', IsTruncated: true } : {}) }
    return { Roles: [{ RoleName: `r${page}`, Path: '/p/', Arn: `arn:r${page}`, AssumeRolePolicyDocument: '{}', MaxSessionDuration: 7200 }, {}], ...(page === 1 ? { Marker: 'm1', IsTruncated: true } : {}) }
  })
  const iam = iamApi(c, 50)
  t.same(await iam.listGroups('/p/'), [{ name: 'g1', path: '/p/' }, { name: 'g2', path: '/p/', created: '2026-01-01T00:00:00.000Z' }])
  t.same(await iam.groupMembers('g'), ['u1', 'u2'])
  t.same(await iam.listRoles('/p/'), [
    { name: 'r1', path: '/p/', arn: 'arn:r1', trustPolicy: '{}', maxSessionDuration: 7200 },
    { name: '', path: '/', arn: '', trustPolicy: '', maxSessionDuration: 3600 },
    { name: 'r2', path: '/p/', arn: 'arn:r2', trustPolicy: '{}', maxSessionDuration: 7200 },
    { name: '', path: '/', arn: '', trustPolicy: '', maxSessionDuration: 3600 }
  ])
  t.same(sent.map((s) => [s.name, s.input.Marker, s.input.MaxItems]), [
    ['ListGroups', undefined, 50], ['ListGroups', 'm1', 50], ['GetGroup', undefined, 50], ['GetGroup', 'm1', 50], ['ListRoles', undefined, 50], ['ListRoles', 'm1', 50]
  ])
  t.equal(sent[0]!.input.PathPrefix, '/p/')
})

t.test('a failure on the second page fails the whole list', async (t) => {
  const { c } = client((s) => {
    if (s.input.Marker !== undefined) throw Object.assign(new Error('page 2 failed'), { name: 'ServiceFailure' })
    return { Groups: [{ GroupName: 'g1', Path: '/p/' }], Marker: 'm1', IsTruncated: true }
  })
  await t.rejects(iamApi(c, 1).listGroups('/p/'), { message: 'page 2 failed' })
})

t.test('writes send the commands with our path, trust policy, tags and session length', async (t) => {
  const { c, sent } = client(() => ({}))
  const iam = iamApi(c, 100)
  await iam.createGroup('g', '/p/')
  await iam.deleteGroup('g')
  await iam.createRole({ name: 'r', path: '/p/', trustPolicy: '{"x":1}', maxSessionDuration: 3600, description: 'd', tags: [{ Key: 'k', Value: 'v' }] })
  await iam.updateTrustPolicy('r', '{}')
  await iam.updateMaxSessionDuration('r', 7200)
  await iam.deleteRole('r')
  t.same(sent, [
    { name: 'CreateGroup', input: { GroupName: 'g', Path: '/p/' } },
    { name: 'DeleteGroup', input: { GroupName: 'g' } },
    { name: 'CreateRole', input: { RoleName: 'r', Path: '/p/', AssumeRolePolicyDocument: '{"x":1}', MaxSessionDuration: 3600, Description: 'd', Tags: [{ Key: 'k', Value: 'v' }] } },
    { name: 'UpdateAssumeRolePolicy', input: { RoleName: 'r', PolicyDocument: '{}' } },
    { name: 'UpdateRole', input: { RoleName: 'r', MaxSessionDuration: 7200 } },
    { name: 'DeleteRole', input: { RoleName: 'r' } }
  ])
})

t.test('iamClient builds a counted client', async (t) => {
  const c = iamClient({ region: 'us-east-1', maxAttempts: 2, timeoutMs: 1000, endpoint: 'http://127.0.0.1:1' }, createMeter())
  t.equal(await c.config.maxAttempts(), 2)
  c.destroy()
})

t.test('groupQuota reads GetAccountSummary\'s Groups and GroupsQuota, and refuses an answer without them', async (t) => {
  const { c, sent } = client(() => ({ SummaryMap: { Groups: 12, GroupsQuota: 300, Users: 4 } }))
  t.same(await iamApi(c, 100).groupQuota(), { groups: 12, quota: 300 })
  t.same(sent.map((s) => s.name), ['GetAccountSummary'])
  const { c: empty } = client(() => ({}))
  await t.rejects(iamApi(empty, 100).groupQuota(), { message: /without Groups and GroupsQuota/ })
})
