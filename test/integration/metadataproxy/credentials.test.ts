// Two users' containers each get their own role's credentials, through the real DNAT,
// from moto's STS; the credentials are real (moto names the assumed role and session),
// and every issuance leaves one audit line that names the human and no secret.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { testbed } from '../../fixtures/testbed.ts'

const proxy = await startProxy(t)
const alice = await runBox(t, proxy, { user: 'alice' })
const bob = await runBox(t, proxy, { user: 'bob' })

async function credentialsOf (box: typeof alice, role: string) {
  const token = await box.token()
  const r = await box.imds(`/latest/meta-data/iam/security-credentials/${role}`, { token })
  return { status: r.status, body: r.status === 200 ? JSON.parse(r.body) as Record<string, string> : undefined, raw: r.body }
}

t.test('each container lists only its own role', async (t) => {
  for (const [box, role] of [[alice, 'alice'], [bob, 'bob']] as const) {
    const token = await box.token()
    const r = await box.imds('/latest/meta-data/iam/security-credentials/', { token })
    t.equal(r.status, 200)
    t.equal(r.body, role)
  }
})

t.test('each container gets working credentials for its own role, named after its user', async (t) => {
  for (const user of ['alice', 'bob']) {
    const box = user === 'alice' ? alice : bob
    const { status, body } = await credentialsOf(box, user)
    t.equal(status, 200)
    t.ok(body, 'a JSON body')
    if (body === undefined) return
    t.equal(body.Code, 'Success')
    t.equal(body.Type, 'AWS-HMAC')
    t.match(body.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'expiration without milliseconds')
    t.match(body.LastUpdated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'last updated without milliseconds')
    const sts = new STSClient({
      region: 'eu-west-1',
      endpoint: testbed().stsEndpoint,
      credentials: { accessKeyId: body.AccessKeyId!, secretAccessKey: body.SecretAccessKey!, sessionToken: body.Token! }
    })
    const who = await sts.send(new GetCallerIdentityCommand({}))
    t.equal(who.Arn, `arn:aws:sts::123456789012:assumed-role/${user}/${user}`, 'STS sees the role and the human')
  }
})

t.test("a container cannot fetch another user's role by name", async (t) => {
  const r = await credentialsOf(alice, 'bob')
  t.equal(r.status, 404)
  t.notMatch(r.raw, /AccessKeyId/)
})

t.test('iam/info names the instance profile of the container role', async (t) => {
  const token = await bob.token()
  const r = await bob.imds('/latest/meta-data/iam/info', { token })
  t.equal(r.status, 200)
  t.match(JSON.parse(r.body), { Code: 'Success', InstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/bob' })
})

t.test('each issuance leaves one audit line naming user, container, role, key suffix and expiry, and no secret', async (t) => {
  const first = await credentialsOf(alice, 'alice')
  await credentialsOf(alice, 'alice')
  const auditFile = join(dirname(proxy.configPath), 'audit.jsonl')
  await new Promise((r) => setTimeout(r, 300))
  const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
  const mine = lines.filter((l) => l.user === 'alice' && l.accessKeyIdSuffix === first.body?.AccessKeyId?.slice(-4))
  t.equal(mine.length, 1, 'one line per key issued to a container, not one per request')
  t.match(mine[0], { audit: 'credential-issued', user: 'alice', container: alice.name, role: 'arn:aws:iam::123456789012:role/k8s-access/alice', expiration: first.body?.Expiration })
  const everything = readFileSync(auditFile, 'utf8') + proxy.rawOutput()
  t.notOk(everything.includes(first.body?.SecretAccessKey ?? '<none>'), 'no secret key in any log')
  t.notOk(everything.includes(first.body?.Token ?? '<none>'), 'no session token in any log')
})
