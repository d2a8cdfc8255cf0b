// Identity Center as the source of people, on moto's identity store and IAM and the
// sandbox kube-apiserver: a member of an identity store group k8s-<tier>@C[@N] gets the
// same per-user IAM role, aws-auth mapping and bindings as an IAM group's member, under
// the mapped name (john.smith@example.com -> john-smith); no IAM group is made; a name
// that cannot be mapped is reported and skipped; a failed read of the store changes
// nothing; leaving the group takes it all away. Its own moto account, identity store,
// cluster name and namespace, so it meets no other suite's objects; it removes what it made.
import t from 'tap'
import { GetRoleCommand } from '@aws-sdk/client-iam'
import {
  IdentitystoreClient, CreateGroupCommand, CreateUserCommand, CreateGroupMembershipCommand, DeleteGroupMembershipCommand
} from '@aws-sdk/client-identitystore'
import { stringify } from 'yaml'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { canI, createNamespace, deleteNamespace, groupNames, roleNames, sandbox, sync, type Sandbox } from './fixtures/sandbox.ts'

const RUN = Date.now().toString(16).slice(-8)
const ACCOUNT = `2150${String(Date.now()).slice(-8)}`
const STORE = `d-${RUN}ab`
const CLUSTER = `idc${RUN}`
const NS = `idc-${RUN}`
const RBAC = '/apis/rbac.authorization.k8s.io/v1'

const s = await sandbox(ACCOUNT)
t.teardown(() => s.close())
const store = new IdentitystoreClient({ region: 'us-east-1', endpoint: s.aws.url, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
t.teardown(() => store.destroy())

function writeConfig (dir: string): string {
  const file = join(dir, 'bastion.yaml')
  writeFileSync(file, stringify({
    aws: { accountId: ACCOUNT },
    clusters: [{ name: CLUSTER, region: 'us-east-1' }],
    rbacsync: {
      source: 'identity-center',
      // A page of one: every list of the store is read page by page.
      identityCenter: { identityStoreId: STORE, region: 'us-east-1', endpoint: s.aws.url },
      iam: { trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/bastion-host`], maxAttempts: 2, pageSize: 1 },
      endpoints: { iam: s.aws.url },
      kubernetes: { maxAttempts: 2 },
      log: { level: 'silent' },
      clusters: { [CLUSTER]: { kubeconfig: s.kubeconfig, includeNamespaces: [NS] } }
    }
  }))
  return file
}

// Our objects of this cluster, and its aws-auth entries (by a sync that grants nobody).
async function cleanup (sb: Sandbox): Promise<void> {
  for (const plural of ['clusterroles', 'clusterrolebindings']) {
    const list = await sb.kube.get(`${RBAC}/${plural}`) as { items: Array<{ metadata: { name: string } }> }
    for (const o of list.items) if (o.metadata.name.includes(`@${CLUSTER}`)) await sb.kube.del(`${RBAC}/${plural}/${encodeURIComponent(o.metadata.name)}`)
  }
  for (const plural of ['roles', 'rolebindings']) {
    const list = await sb.kube.get(`${RBAC}/${plural}`) as { items: Array<{ metadata: { name: string, namespace: string } }> }
    for (const o of list.items) if (o.metadata.name.includes(`@${CLUSTER}`)) await sb.kube.del(`${RBAC}/namespaces/${o.metadata.namespace}/${plural}/${encodeURIComponent(o.metadata.name)}`)
  }
  await deleteNamespace(sb, NS)
}

const group = async (name: string): Promise<string> => (await store.send(new CreateGroupCommand({ IdentityStoreId: STORE, DisplayName: name }))).GroupId!
const user = async (name: string): Promise<string> => (await store.send(new CreateUserCommand({ IdentityStoreId: STORE, UserName: name, DisplayName: name, Name: { GivenName: 'A', FamilyName: 'B' } }))).UserId!
const join_ = async (g: string, u: string): Promise<string> => (await store.send(new CreateGroupMembershipCommand({ IdentityStoreId: STORE, GroupId: g, MemberId: { UserId: u } }))).MembershipId!
const mapRoles = async (): Promise<string> => ((await s.kube.get('/api/v1/namespaces/kube-system/configmaps/aws-auth', true)) as { data?: { mapRoles?: string } } | undefined)?.data?.mapRoles ?? ''
const subjects = async (path: string): Promise<string[]> => ((await s.kube.get(path)) as { subjects?: Array<{ name: string }> }).subjects?.map((x) => x.name) ?? []

t.test('identity store groups give roles, mappings and bindings under the mapped names', async (t) => {
  // Not t.testdir: the teardown's last sync still reads it.
  const dir = mkdtempSync(join(tmpdir(), 'bt-idc-rbacsync-'))
  const config = writeConfig(dir)
  await createNamespace(s, NS)
  const memberships: string[] = []
  t.teardown(async () => {
    s.aws.fail = undefined
    // Nobody in a group: the last sync takes this suite's roles and aws-auth entries away.
    for (const m of memberships) await store.send(new DeleteGroupMembershipCommand({ IdentityStoreId: STORE, MembershipId: m })).catch(() => {})
    const last = await sync(config)
    await cleanup(s)
    rmSync(dir, { recursive: true, force: true })
    if (!last.ok) throw new Error(`the cleanup sync failed: ${JSON.stringify(last.problems)}`)
  })
  const power = await group(`k8s-poweruser@${CLUSTER}`)
  const nsUser = await group(`k8s-user@${CLUSTER}@${NS}`)
  await group('Engineering')
  const john = await user('john.smith@example.com')
  const ann = await user('Ann@example.com')
  const bad = await user('j+x@example.com')
  // Ann's namespace scope is set up first (rbacsync records the namespace it grants).
  let r = await sync(config)
  t.ok(r.ok, JSON.stringify(r.problems))
  t.same(await groupNames(s), [], 'no IAM group is made: the identity store\'s groups are its administrators\'')
  t.ok(await s.kube.get(`${RBAC}/namespaces/${NS}/rolebindings/${encodeURIComponent(`k8s-user@${CLUSTER}@${NS}`)}`))

  const johnPower = await join_(power, john)
  memberships.push(await join_(nsUser, ann), await join_(power, bad))
  r = await sync(config)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_PERSON_NAME_INVALID', subject: 'j+x@example.com' }])
  t.equal(r.problems.length, 1, JSON.stringify(r.problems))
  t.same(await roleNames(s, '/k8s-access/'), ['ann', 'john-smith'])
  const role = (await s.iam.send(new GetRoleCommand({ RoleName: 'john-smith' }))).Role!
  t.match(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement, [{ Condition: { StringEquals: { 'sts:SourceIdentity': 'john-smith', 'sts:RoleSessionName': 'john-smith' } } }])
  t.match(await mapRoles(), `- rolearn: arn:aws:iam::${ACCOUNT}:role/john-smith\n  username: john-smith\n`)
  t.same(await subjects(`${RBAC}/clusterrolebindings/${encodeURIComponent(`k8s-poweruser@${CLUSTER}`)}`), ['john-smith'])
  t.same(await subjects(`${RBAC}/namespaces/${NS}/rolebindings/${encodeURIComponent(`k8s-user@${CLUSTER}@${NS}`)}`), ['ann'])
  t.ok(await canI(s, 'ann', 'get', 'pods', NS))
  t.notOk(await canI(s, 'ann', 'get', 'pods', 'default'))
  t.ok(await canI(s, 'john-smith', 'delete', 'pods', NS))
  t.notOk(await canI(s, 'j+x', 'get', 'pods', NS))

  // A failed read of the store (every Identity Store call denied): nothing is written.
  await store.send(new DeleteGroupMembershipCommand({ IdentityStoreId: STORE, MembershipId: johnPower }))
  s.aws.fail = (c) => c.action === 'POST /' ? { status: 403, code: 'AccessDeniedException', message: 'not authorized to perform identitystore:ListGroupMemberships' } : undefined
  r = await sync(config)
  t.notOk(r.ok)
  t.match(r.problems, [{ code: 'BASTION_RBACSYNC_READ_FAILED', subject: 'iam', message: /could not read the (groups|members) of identity store/ }])
  t.same(r.results, [], 'nothing written')
  t.same(await roleNames(s, '/k8s-access/'), ['ann', 'john-smith'], 'roles kept')
  t.same(await subjects(`${RBAC}/clusterrolebindings/${encodeURIComponent(`k8s-poweruser@${CLUSTER}`)}`), ['john-smith'], 'binding kept')

  // The store answers again: john-smith, out of the group, loses role, mapping and binding.
  s.aws.fail = undefined
  r = await sync(config)
  t.equal(r.problems.filter((p) => p.code !== 'BASTION_RBACSYNC_PERSON_NAME_INVALID').length, 0, JSON.stringify(r.problems))
  t.same(await roleNames(s, '/k8s-access/'), ['ann'])
  t.notMatch(await mapRoles(), /john-smith/)
  t.same(await subjects(`${RBAC}/clusterrolebindings/${encodeURIComponent(`k8s-poweruser@${CLUSTER}`)}`), [])
  t.notOk(await canI(s, 'john-smith', 'delete', 'pods', NS))
  t.ok(s.aws.calls.filter((c) => c.action === 'POST /').length > 4, 'the store was read through its API')
})
