// `bastion audit --user` finds a person's Kubernetes calls under the username rbacsync
// maps his role to, not under his login name. The pairing is the bed's bt-carol ->
// carol-admin shape (shell.roles gives the login a role named otherwise) with fresh
// names: rbacsync maps each per-user role to a Kubernetes user of the role's own name
// (test/integration/rbacsync/story.test.ts holds rbacsync to that on the real API
// server), and the metadata proxy assumes the role with the login as session name. The
// call goes to the bed's real kube-apiserver through aws-iam-authenticator, with
// credentials from moto's STS, and is read back from the API server's own audit log.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assumeRole, authnBed, eksToken, kube, mapRole, uniqueName, whoami } from '../../fixtures/authenticator.ts'
import { bedFacts } from '../../fixtures/testbed.ts'
import { bastion } from './host.ts'

const bed = authnBed()
const AUDIT_LOG = bedFacts()('BASTION_TEST_KUBE_AUDIT_LOG')
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// The API server writes its audit log as requests finish: poll for the event.
async function auditEvent (match: (v: any) => boolean, timeoutMs = 15_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hit = readFileSync(AUDIT_LOG, 'utf8').split('\n').filter((l) => l.includes('"username"')).flatMap((l) => { try { return [JSON.parse(l)] } catch { return [] } }).find(match)
    if (hit !== undefined || Date.now() > deadline) return hit
    await sleep(250)
  }
}

t.test('a login whose role is named otherwise: audit finds his Kubernetes call under the role\'s username', async (t) => {
  const login = uniqueName('bt-audit')
  const role = `${login}-admin`
  const username = role // what rbacsync maps the role to
  await mapRole(t, bed, role, username)
  const token = await eksToken(bed, await assumeRole(bed, role, login), 'eu-west-1')
  // The authenticator learns aws-auth through a watch: wait until it knows the role.
  for (let i = 0; i < 60 && (await whoami(bed, token)).status !== 201; i++) await sleep(250)
  const since = new Date(Date.now() - 1000).toISOString()
  const call = await kube(bed, 'GET', `/api/v1/namespaces/default/configmaps?labelSelector=bastion.test%3D${login}`, { token })
  t.equal(call.status, 403, 'authenticated as the mapped user, who has no RBAC here')
  const event = await auditEvent((v) => v.user?.username === username && v.requestURI?.includes(login) && v.stage === 'ResponseComplete')
  t.ok(event, 'kube-apiserver logged the call under the role\'s username')
  t.match(event?.user?.extra?.arn?.[0], new RegExp(`:assumed-role/${role}/${login}$`), 'with the login as the session name')

  const dir = t.testdir({})
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, [
    `shell: { roles: { ${login}: ${role} }, audit: { file: ${dir}/sessions.jsonl } }`,
    `metadataproxy: { log: { auditFile: ${dir}/credentials.jsonl } }`,
    `audit: { kubeAuditLogs: { testbed: [${AUDIT_LOG}] } }`
  ].join('\n'))
  const r = await bastion(['audit', '--user', login, '--since', since, '--json'], { config })
  t.equal(r.exitCode, 0, r.stderr)
  const timeline = JSON.parse(r.stdout)
  t.same(timeline.roles, [role])
  const calls = timeline.entries.filter((e: { kind: string }) => e.kind === 'kubernetes')
  // His calls: the list, and the SelfSubjectReviews that waited for the authenticator.
  const list = calls.find((e: { auditId: string }) => e.auditId === event?.auditID)
  t.match(list, { cluster: 'testbed', verb: 'list', resource: 'configmaps', namespace: 'default', code: 403, decision: 'forbid' }, 'his call is in his timeline')
  t.ok(calls.length > 0 && calls.every((e: { arn: string }) => e.arn.endsWith(`:assumed-role/${role}/${login}`)), 'and every call there is his role with his login as session')
  t.notMatch(timeline.warnings.join('\n'), /another principal/, 'nothing under his username by anyone else')
})
