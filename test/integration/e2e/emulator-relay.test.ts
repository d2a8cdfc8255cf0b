// The local bastion's containers reach the AWS emulator only through the relay in
// test/fixtures/sts-relay.ts, which passes sts:GetCallerIdentity and nothing else: moto
// checks no signature and no policy, so through a plain relay a user could add
// themselves to k8s-admin@hyades and wait for the next sync, or assume anyone's role.
// The relay runs here as e2e.sh runs it (its own process, in front of the bed's moto),
// is called by a real container through the proxy's credentials, and the bed's own
// relay (the address the local bastion's containers use) is checked to be this one.
import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { CreateGroupCommand, CreateUserCommand, DeleteGroupCommand, DeleteUserCommand, GetUserCommand, IAMClient, ListGroupsForUserCommand } from '@aws-sdk/client-iam'
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { freePort, startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { bedFacts, EMULATOR_ENV, testbed } from '../../fixtures/testbed.ts'

const RELAY = fileURLToPath(new URL('../../fixtures/sts-relay.ts', import.meta.url))
const id = randomBytes(3).toString('hex')
const credentials = { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY }
const client = <C>(Make: new (c: object) => C, endpoint: string): C => new Make({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 })
const moto = testbed().stsEndpoint
const iamDirect = client(IAMClient, moto)

async function startRelay (host: string, port: number): Promise<string> {
  const p = spawn(process.execPath, [RELAY, '--listen', `${host}:${port}`, '--upstream', moto], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { p.kill('SIGKILL') })
  await new Promise<void>((resolve, reject) => {
    p.stdout.once('data', () => resolve())
    p.once('exit', (code) => reject(new Error(`sts-relay.ts exited with ${code}`)))
  })
  return `http://${host}:${port}`
}

// A group and a user made directly at moto: what an attacker would join, and who.
const group = `bt-relay-${id}`
const user = `bt-relay-user-${id}`
await iamDirect.send(new CreateGroupCommand({ GroupName: group }))
await iamDirect.send(new CreateUserCommand({ UserName: user }))
t.teardown(async () => {
  await iamDirect.send(new DeleteUserCommand({ UserName: user })).catch(() => {})
  await iamDirect.send(new DeleteUserCommand({ UserName: `${user}-new` })).catch(() => {})
  await iamDirect.send(new DeleteGroupCommand({ GroupName: group })).catch(() => {})
})
const groupsOf = async (u: string): Promise<string[]> => ((await iamDirect.send(new ListGroupsForUserCommand({ UserName: u }))).Groups ?? []).map((g) => g.GroupName ?? '')

t.test('through the relay, STS GetCallerIdentity answers; IAM writes, AssumeRole and moto-api get AccessDenied and never reach moto', async (t) => {
  const relay = await startRelay('127.0.0.1', await freePort())
  const who = await client(STSClient, relay).send(new GetCallerIdentityCommand({}))
  t.match(who.Arn, /^arn:aws:/, 'GetCallerIdentity is relayed')
  await t.rejects(client(IAMClient, relay).send(new CreateUserCommand({ UserName: `${user}-new` })), { name: 'AccessDenied', message: /passes only sts:GetCallerIdentity/ })
  await t.rejects(iamDirect.send(new GetUserCommand({ UserName: `${user}-new` })), { name: 'NoSuchEntity' }, 'moto made no user')
  await t.rejects(client(STSClient, relay).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/pocahontas', RoleSessionName: 'pocahontas' })),
    { name: 'AccessDenied', message: /AssumeRole is not relayed/ })
  const api = await fetch(`${relay}/moto-api/data.json`)
  t.equal(api.status, 403, "moto's own API is not relayed")
  const mixed = await fetch(`${relay}/?Action=GetCallerIdentity`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `Action=AddUserToGroup&UserName=${user}&GroupName=${group}` })
  t.equal(mixed.status, 403, 'a second Action in the body does not ride on an allowed one')
  t.same(await groupsOf(user), [], 'the user joined no group')
})

t.test("from a real container, with the proxy's credentials: get-caller-identity works, joining a group does not", async (t) => {
  const port = await freePort()
  const proxy = await startProxy(t, { egress: (gateway: string) => ({ allow: [{ to: `${gateway}/32`, tcp: [port] }] }) })
  const relay = await startRelay(proxy.gateway, port)
  const box = await runBox(t, proxy, { user: 'mallory', env: { AWS_DEFAULT_REGION: 'eu-west-1' } })
  const who = await box.exec(['aws', 'sts', 'get-caller-identity', '--endpoint-url', relay, '--output', 'json'])
  t.equal(who.exitCode, 0, who.stderr)
  t.match(JSON.parse(who.stdout).Arn, /:assumed-role\/mallory\/mallory$/, 'the container is itself')
  const join = await box.exec(['aws', 'iam', 'add-user-to-group', '--user-name', user, '--group-name', group, '--endpoint-url', relay])
  t.not(join.exitCode, 0)
  t.match(join.stderr, /AccessDenied/)
  t.same(await groupsOf(user), [], 'the user joined no group')
})

t.test("the bed's relay, which the local bastion's containers reach, is this filter", async (t) => {
  const endpoint = bedFacts()('BASTION_TEST_STS_CONTAINER_ENDPOINT')
  t.match((await client(STSClient, endpoint).send(new GetCallerIdentityCommand({}))).Arn, /^arn:aws:/)
  await t.rejects(client(IAMClient, endpoint).send(new CreateUserCommand({ UserName: `${user}-new` })), { name: 'AccessDenied', message: /passes only sts:GetCallerIdentity/ })
  await t.rejects(iamDirect.send(new GetUserCommand({ UserName: `${user}-new` })), { name: 'NoSuchEntity' }, 'moto made no user')
})
