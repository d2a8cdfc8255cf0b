// A real AWS SDK inside a container: the aws CLI (botocore) finds credentials through
// IMDSv2 via the DNAT and the proxy, with no configuration, and makes a signed STS call
// that moto answers with the user's assumed role.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { startStsFront } from '../../fixtures/sts-front.ts'
import { testbed } from '../../fixtures/testbed.ts'

// STS for the container: moto, through a front on the bridge gateway (moto itself only
// listens on loopback). The CLI never sees any other endpoint. The egress policy keeps
// containers off the host's ports, so the gateway is allowed here (its port is not
// known until the network exists).
const proxy = await startProxy(t, { egress: (gateway: string) => ({ allow: [{ to: `${gateway}/32` }] }) })
const stsForContainers = await startStsFront(testbed().stsEndpoint, proxy.gateway)
t.teardown(() => stsForContainers.close())
const box = await runBox(t, proxy, { user: 'henry', env: { AWS_DEFAULT_REGION: 'eu-west-1' } })

t.test('the aws CLI gets credentials from the instance-metadata provider', async (t) => {
  const r = await box.exec(['aws', 'configure', 'export-credentials', '--format', 'process'])
  t.equal(r.exitCode, 0, r.stderr)
  const creds = JSON.parse(r.stdout) as Record<string, string>
  t.match(creds.AccessKeyId, /^ASIA/)
  t.ok(creds.SessionToken, 'a session token')
  const listed = await box.exec(['aws', 'configure', 'list'])
  t.match(listed.stdout, /iam-role/, 'the CLI says the credentials came from the instance role provider')
})

t.test('a signed STS call from inside the container is made as the user', async (t) => {
  const r = await box.exec(['aws', 'sts', 'get-caller-identity', '--endpoint-url', stsForContainers.url, '--output', 'json'])
  t.equal(r.exitCode, 0, r.stderr)
  const who = JSON.parse(r.stdout) as { Arn: string, Account: string }
  t.equal(who.Arn, 'arn:aws:sts::123456789012:assumed-role/henry/henry')
  t.equal(who.Account, '123456789012')
})
