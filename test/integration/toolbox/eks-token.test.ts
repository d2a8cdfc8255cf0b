// The point of the whole chain: inside a user's container, `aws eks get-token` signs
// with that user's role credentials, which came from the metadata proxy. The token is a
// presigned STS GetCallerIdentity URL; its X-Amz-Credential names the access key it was
// signed with. That key must be the one the container's IMDS hands out, and the one the
// proxy's audit log says it issued to this user's container for this user's role.
// get-token only presigns: nothing is sent to AWS. Then the image's kubectl, with the kubeconfig
// `bastion kubeconfig write` made, takes the same path to the test bed's kube-apiserver,
// whose aws-iam-authenticator verifies the token (at moto, through the bed's STS front).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssh } from '../../fixtures/ssh.ts'
import { containersOf, inspect } from '../../fixtures/shell.ts'
import { ACCOUNT, authnBed, kube, mapRole, tokenUrl, whoami } from '../../fixtures/authenticator.ts'
import { bedFacts } from '../../fixtures/testbed.ts'
import { bastion, patchShellConfig } from '../../fixtures/toolbox.ts'

const AUDIT = '/var/log/bastion-testbed/credentials.jsonl'
const REGION = 'eu-west-1'

interface Issued { user: string, container: string, containerId: string, role: string, accessKeyIdSuffix: string }

function issuedTo (containerId: string): Issued[] {
  return readFileSync(AUDIT, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Issued & { audit?: string })
    .filter((l) => l.audit === 'credential-issued' && containerId.startsWith(l.containerId))
}

async function tokenIn (user: string): Promise<{ token: string, imdsKey: string, containerId: string }> {
  const script = [
    `aws eks get-token --cluster-name hyades --region ${REGION} --output json`,
    'echo',
    'T=$(curl -sf -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token)',
    'curl -sf -H "X-aws-ec2-metadata-token: $T" "http://169.254.169.254/latest/meta-data/iam/security-credentials/$IAM_ROLE"'
  ].join('; ')
  const r = await ssh(user, script, { timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`get-token in ${user}'s container failed: ${r.stderr}`)
  const [credential, imds] = r.stdout.toString().trim().split(/\n(?=\{)/)
  const token = JSON.parse(credential ?? '').status.token as string
  const containerId = (await containersOf(user))[0] ?? ''
  return { token, imdsKey: JSON.parse(imds ?? '').AccessKeyId as string, containerId }
}

t.test("alice's token is signed with the credentials the proxy issued to her container for her role", async (t) => {
  const { token, imdsKey, containerId } = await tokenIn('bt-alice')
  const url = tokenUrl(token)
  t.equal(url.host, `sts.${REGION}.amazonaws.com`, 'a regional STS URL, presigned, not called')
  t.equal(url.searchParams.get('Action'), 'GetCallerIdentity')
  t.match(url.searchParams.get('X-Amz-SignedHeaders'), /\bx-k8s-aws-id\b/, 'bound to a cluster name')
  t.ok(url.searchParams.get('X-Amz-Security-Token'), 'signed with temporary (role) credentials')
  const [keyId, , region, service] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/')
  t.same([region, service], [REGION, 'sts'])
  t.equal(keyId, imdsKey, 'the access key is the one IMDS gave this container')
  const issued = issuedTo(containerId)
  t.ok(issued.length > 0, `the proxy's audit log names container ${containerId.slice(0, 12)}`)
  const last = issued.at(-1)
  t.match(last, { user: 'bt-alice', role: new RegExp(`^arn:aws:iam::${ACCOUNT}:role/(k8s-access/)?bt-alice$`), accessKeyIdSuffix: keyId?.slice(-4) })
  t.equal((await inspect(containerId)).Config.Labels['bastion.user'], 'bt-alice')
})

t.test("carol's token is signed with her own role's credentials, not alice's", async (t) => {
  const alice = await tokenIn('bt-alice')
  const carol = await tokenIn('bt-carol')
  const key = (tok: string): string => (tokenUrl(tok).searchParams.get('X-Amz-Credential') ?? '').split('/')[0] ?? ''
  t.not(key(carol.token), key(alice.token))
  t.equal(key(carol.token), carol.imdsKey)
  t.match(issuedTo(carol.containerId).at(-1), { user: 'bt-carol', role: new RegExp(`^arn:aws:iam::${ACCOUNT}:role/(k8s-access/)?carol-admin$`), accessKeyIdSuffix: key(carol.token).slice(-4) })
})

t.test("the container's kubectl, within one minor version of the cluster, reaches it with that token, and `kubectl auth whoami` names her", async (t) => {
  const bed = authnBed()
  await mapRole(t, bed, 'bt-alice', 'bt-alice')
  // The kubeconfig the operators would write for this cluster, mounted into alice's container.
  const dir = t.testdir({})
  const server = bedFacts()('BASTION_TEST_KUBE_CONTAINER_SERVER')
  const ca = readFileSync(bedFacts()('BASTION_TEST_KUBE_CA')).toString('base64')
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, `shell:\n  kubeconfigDir: ${dir}/kube\nclusters: [{name: hyades, region: ${REGION}, endpoint: "${server}", certificateAuthority: "${ca}"}]\n`)
  const wrote = await bastion(config, ['kubeconfig', 'write'])
  t.equal(wrote.exitCode, 0, wrote.stderr)
  patchShellConfig(t, [[['shell', 'kubeconfigDir'], join(dir, 'kube')]])

  const r = await ssh('bt-alice', 'kubectl version 2>&1; kubectl get --raw /apis/authentication.k8s.io/v1 >/dev/null && echo authenticated; echo "whoami=$(kubectl auth whoami -o jsonpath={.status.userInfo.username})"', { timeoutMs: 90_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = r.stdout.toString()
  const client = /Client Version: v1\.(\d+)\.\d+/.exec(out)
  const served = /Server Version: v1\.(\d+)\.\d+/.exec(out)
  t.ok(client !== null && served !== null, `both versions are stamped: ${out}`)
  t.ok(Math.abs(Number(client?.[1]) - Number(served?.[1])) <= 1, `kubectl ${client?.[0]} is within one minor version of ${served?.[0]}`)
  t.notMatch(out, /WARNING: version difference/, 'kubectl sees no skew')
  t.match(out, /^authenticated$/m)
  t.match(out, /^whoami=bt-alice$/m, 'kubectl auth whoami answers with her own name')

  // The same token, shown to the API server by the test, says who she is there.
  const { token } = await tokenIn('bt-alice')
  const who = await whoami(bed, token)
  t.equal(who.status, 201, JSON.stringify(who.body))
  t.equal(who.body.status.userInfo.username, 'bt-alice')
  t.match(JSON.stringify(who.body.status.userInfo.extra), /assumed-role\/bt-alice\//, 'from the role the proxy assumed for her')
  t.equal((await kube(bed, 'GET', '/version', { token })).status, 200)
})
