// The bed's cluster authenticates as EKS does: kube-apiserver asks aws-iam-authenticator
// (its token webhook) about every bearer token; the authenticator fetches the token's
// presigned STS GetCallerIdentity URL, which on this machine reaches moto through the
// bed's TLS front, and maps the caller's role through aws-auth to a Kubernetes user.
// docs/testbed/authenticator.md describes the set-up these tests hold to.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { ACCOUNT, assumeRole, authnBed, eksToken, mapRole, tokenOf, tokenUrl, uniqueName, whoami, type KubeResponse } from '../../fixtures/authenticator.ts'

const bed = authnBed()
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// The authenticator learns aws-auth through a watch: poll until it answers for `token`.
async function whoamiUntil (token: string, ok: (r: KubeResponse) => boolean, timeoutMs = 15_000): Promise<KubeResponse> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await whoami(bed, token)
    if (ok(r) || Date.now() > deadline) return r
    await sleep(250)
  }
}

const logSince = (file: string, offset: number): string => readFileSync(file).subarray(offset).toString()
const sizeOf = (file: string): number => readFileSync(file).length

t.test('a token presigned with an assumed role\'s credentials maps to the role\'s Kubernetes user', async (t) => {
  const role = uniqueName('bt-authn-role')
  const username = uniqueName('bt-authn-user')
  await mapRole(t, bed, role, username)
  const creds = await assumeRole(bed, role, 'bt-session')
  for (const region of ['eu-west-1', undefined]) {
    const token = await eksToken(bed, creds, region)
    const host = region === undefined ? 'sts.amazonaws.com' : `sts.${region}.amazonaws.com`
    t.equal(tokenUrl(token).host, host, `the client presigned for ${host}`)
    const frontBefore = sizeOf(bed.stsFrontLog)
    const r = await whoamiUntil(token, (r) => r.status === 201)
    t.equal(r.status, 201, `the API server accepts the token (${host}): ${JSON.stringify(r.body)}`)
    const user = r.body?.status?.userInfo
    t.equal(user?.username, username, 'the static username from aws-auth')
    t.same(user?.extra?.arn, [`arn:aws:sts::${ACCOUNT}:assumed-role/${role}/bt-session`], 'extra.arn is the assumed-role ARN, as moto answered it')
    t.same(user?.extra?.canonicalArn, [`arn:aws:iam::${ACCOUNT}:role/${role}`])
    t.same(user?.extra?.sessionName, ['bt-session'])
    t.match(user?.uid, new RegExp(`^aws-iam-authenticator:${ACCOUNT}:AROA`))
    t.ok(user?.groups?.includes('system:authenticated'))
    const front = logSince(bed.stsFrontLog, frontBefore)
    t.match(front, new RegExp(`"host":"${host.replaceAll('.', '\\.')}","action":"GetCallerIdentity","accessKeyIdSuffix":"${creds.AWS_ACCESS_KEY_ID!.slice(-4)}","status":200`),
      'the verification went through the STS front to moto')
    t.notMatch(front, new RegExp(creds.AWS_SECRET_ACCESS_KEY!), 'the front logs no secret')
  }
})

t.test('a token for a role aws-auth does not map is rejected', async (t) => {
  const role = uniqueName('bt-authn-unmapped')
  const token = await eksToken(bed, await assumeRole(bed, role, 'bt-session'), 'eu-west-1')
  const logBefore = sizeOf(bed.authenticatorLog)
  const r = await whoami(bed, token)
  t.equal(r.status, 401)
  t.equal(r.body?.reason, 'Unauthorized')
  await sleep(200)
  t.match(logSince(bed.authenticatorLog, logBefore), new RegExp(`arn="arn:aws:iam::${ACCOUNT}:role/${role}".*error="ARN is not mapped"`),
    'STS verified the caller, and the mapping refused it')
})

t.test('a token whose presigned URL names a foreign STS host is rejected without being fetched', async (t) => {
  const role = uniqueName('bt-authn-foreign')
  await mapRole(t, bed, role, uniqueName('bt-authn-user'))
  const good = await eksToken(bed, await assumeRole(bed, role, 'bt-session'), 'eu-west-1')
  t.equal((await whoamiUntil(good, (r) => r.status === 201)).status, 201, 'the genuine token works')

  const cases: Array<[string, (u: URL) => string, RegExp]> = [
    ['a look-alike host', (u) => { u.host = 'sts.eu-west-1.amazonaws.com.evil.example'; return tokenOf(u) }, /unexpected hostname \\"sts\.eu-west-1\.amazonaws\.com\.evil\.example\\" in pre-signed URL/],
    ['the emulator itself over http', (u) => tokenOf(`http://127.0.0.1:5011/?${u.searchParams}`), /unexpected scheme \\"http\\" in pre-signed URL/],
    ['an STS host with a port', (u) => { u.host = 'sts.eu-west-1.amazonaws.com:8443'; return tokenOf(u) }, /unexpected hostname \\"sts\.eu-west-1\.amazonaws\.com:8443\\" in pre-signed URL/]
  ]
  for (const [name, forge, why] of cases) {
    const logBefore = sizeOf(bed.authenticatorLog)
    const frontBefore = sizeOf(bed.stsFrontLog)
    const r = await whoami(bed, forge(tokenUrl(good)))
    t.equal(r.status, 401, `${name}: rejected`)
    await sleep(200)
    t.match(logSince(bed.authenticatorLog, logBefore), why, `${name}: the authenticator names the reason`)
    t.equal(logSince(bed.stsFrontLog, frontBefore), '', `${name}: nothing was fetched`)
  }
})

t.test('an AWS STS name the bed does not serve resolves to nothing: rejected, nothing leaves the machine', async (t) => {
  const role = uniqueName('bt-authn-region')
  await mapRole(t, bed, role, uniqueName('bt-authn-user'))
  const token = await eksToken(bed, await assumeRole(bed, role, 'bt-session'), 'ap-southeast-2')
  t.equal(tokenUrl(token).host, 'sts.ap-southeast-2.amazonaws.com')
  const logBefore = sizeOf(bed.authenticatorLog)
  const r = await whoami(bed, token)
  t.equal(r.status, 401)
  await sleep(200)
  t.match(logSince(bed.authenticatorLog, logBefore), /error during GET: dial tcp: lookup sts\.ap-southeast-2\.amazonaws\.com/,
    'the private resolver has no answer for it')
})

t.test('the STS names, the CA and the resolver are the authenticator\'s alone', async (t) => {
  const pid = readFileSync('/run/bastion-testbed/authenticator.pid', 'utf8').trim()
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  t.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /aws-iam-authenticator\0server\0/, 'the pid is the authenticator server')
  const certFile = environ.find((e) => e.startsWith('SSL_CERT_FILE='))?.slice('SSL_CERT_FILE='.length)
  t.match(certFile, /sts-ca\.pem$/, 'it trusts the bed\'s STS CA')
  t.ok(environ.some((e) => e.startsWith('SSL_CERT_DIR=')), 'and no system CA directory')
  t.notOk(environ.some((e) => /^(HTTPS?_PROXY|https?_proxy|AWS_ACCESS_KEY_ID)=/.test(e)), 'no proxy and no AWS credentials in its environment')

  const hostsInside = readFileSync(`/proc/${pid}/root/etc/hosts`, 'utf8')
  t.match(hostsInside, new RegExp(`^${bed.stsFrontAddr.replaceAll('.', '\\.')} sts\\.amazonaws\\.com$`, 'm'), 'inside its mount namespace, STS is the front')
  t.match(readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8'), /^nameserver 127\.0\.0\.1$/m)
  t.notMatch(readFileSync('/etc/hosts', 'utf8'), /amazonaws/, 'the host\'s /etc/hosts is untouched')
  const mine = (await execa('readlink', ['/proc/self/ns/mnt'])).stdout
  const its = (await execa('readlink', [`/proc/${pid}/ns/mnt`])).stdout
  t.not(its, mine, 'it runs in a mount namespace of its own')
  const resolved = await execa('getent', ['hosts', 'sts.amazonaws.com'], { reject: false, timeout: 10_000 })
  t.notMatch(resolved.stdout, new RegExp(bed.stsFrontAddr.replaceAll('.', '\\.')), 'the host does not resolve STS to the front')

  // The CA is trusted by nothing else: curl on the host refuses the front's certificate.
  const curl = await execa('curl', ['-s', '-o', '/dev/null', '--resolve', `sts.amazonaws.com:443:${bed.stsFrontAddr}`, 'https://sts.amazonaws.com/'], { reject: false })
  t.equal(curl.exitCode, 60, 'the host\'s trust store does not know the bed\'s STS CA')
})
