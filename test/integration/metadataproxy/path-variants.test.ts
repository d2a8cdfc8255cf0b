// The leak suite: whatever a container writes (slashes, encodings, dots, versions,
// methods), the host's role name and keys never come back, and the stand-in for the
// host's real IMDS sees only allowlisted paths, from the proxy, never from a container.
import t from 'tap'
import { readFileSync, existsSync } from 'node:fs'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { testbed } from '../../fixtures/testbed.ts'
import { HOST_ACCESS_KEY_ID, HOST_ROLE, HOST_SECRET } from '../../fixtures/fake-imds-canary.ts'

const proxy = await startProxy(t)
const box = await runBox(t, proxy, { user: 'dave' })
const token = await box.token()
const logBefore = existsSync(testbed().imdsLog) ? readFileSync(testbed().imdsLog, 'utf8').length : 0

const HOST_PATHS = [
  '/latest/meta-data/iam/security-credentials/',
  `/latest/meta-data/iam/security-credentials/${HOST_ROLE}`,
  '/latest/meta-data/iam/info',
  '/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance',
  '/latest/meta-data/iam/security-credentials-extended/',
  `/latest/meta-data/iam/security-credentials-extended/${HOST_ROLE}`,
  '/latest/user-data',
  '/latest/dynamic/instance-identity/pkcs7',
  '/latest/dynamic/instance-identity/signature'
]

function variants (path: string): string[] {
  const rest = path.replace(/^\/latest/, '')
  return [
    path,
    `/latest/${rest.slice(1).replace(/\//g, '//')}`,
    `//latest${rest}`,
    `/latest/.${rest}`,
    `/latest/meta-data/../${rest.slice(1)}`,
    `/latest/x/..${rest}`,
    `/latest${rest.replace(/\//g, '%2f')}`,
    `/latest${rest.replace(/\//g, '%2F')}`,
    `/latest${rest.replace(/-/g, '%2d')}`,
    `/latest${rest.replace(/a/g, '%61')}`,
    `/latest${rest.replace(/\//g, '%252f')}`,
    `/%6catest${rest}`,
    `/latest${rest}%00`,
    `/latest${rest};`,
    `/latest${rest}?x=1`,
    `/latest${rest}#frag`,
    `/latest${rest.replace(/\//g, '\\\\')}`,
    `/2009-04-04${rest}`,
    `/2016-09-02${rest}`,
    `/1.0${rest}`,
    `/LATEST${rest}`,
    `/latest/./${rest.slice(1)}`,
    `/latest/${rest.slice(1).toUpperCase()}`,
    `/./latest${rest}`,
    `/latest${rest}/.`,
    `/latest${rest}/..`
  ]
}

function assertNoLeak (t: { notOk (v: unknown, msg: string): void }, body: string, what: string): void {
  t.notOk(body.includes(HOST_ROLE), `${what}: host role name absent`)
  t.notOk(body.includes(HOST_ACCESS_KEY_ID), `${what}: host access key absent`)
  t.notOk(body.includes(HOST_SECRET), `${what}: host secret absent`)
}

t.test('no variant of a host-identity path yields the host role, in v2 or without a token', async (t) => {
  const requests = HOST_PATHS.flatMap((path) => variants(path)).flatMap((variant) => [true, false].map((withToken) => ({ path: variant, withToken, ...(withToken ? { token } : {}) })))
  const answers = await box.imdsEach(requests)
  t.same({ status: answers[0]!.status, body: answers[0]!.body }, { status: 200, body: 'dave' }, 'the first request, the role listing in v2, is answered as the container\'s')
  for (const [i, { path: variant, withToken }] of requests.entries()) {
    const r = answers[i]!
    t.not(r.curlExit, 28, `${variant} (${withToken ? 'v2' : 'v1'}): answered within curl's 5 s`)
    assertNoLeak(t, r.body, `${variant} (${withToken ? 'v2' : 'v1'})`)
    if (r.status === 200) {
      // The only 200s allowed are our own answers about the container's role.
      t.match(r.body, /^(dave|info\nsecurity-credentials\/|\{[\s\S]*"(AccessKeyId|InstanceProfileArn)"[\s\S]*\})$/, `${variant}: a 200 is ours`)
      t.notOk(r.body.includes('LEAKCANARY'), `${variant}: no canary`)
    }
  }
})

t.test('other methods on credential paths are refused without a leak', async (t) => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await box.imds(`/latest/meta-data/iam/security-credentials/${HOST_ROLE}`, { method, token })
    t.equal(r.status, 405, method)
    assertNoLeak(t, r.body, method)
  }
})

t.test('allowlisted harmless paths pass through from the host IMDS, and nothing else does', async (t) => {
  const region = await box.imds('/latest/meta-data/placement/region', { token })
  t.equal(region.status, 200)
  t.equal(region.body, 'eu-west-1', "the host's region, from the stand-in IMDS")
  const id = await box.imds('/latest/meta-data/instance-id', { token })
  t.equal(id.body, 'i-0123456789abcdef0')
  const localIp = await box.imds('/latest/meta-data/local-ipv4', { token })
  t.equal(localIp.status, 404, 'not allowlisted, so 404 though the host IMDS has it')
  const log = readFileSync(testbed().imdsLog, 'utf8').slice(logBefore).trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { from: string, url: string, method: string })
  const containerSubnet = proxy.subnet.split('.').slice(0, 3).join('.') + '.'
  t.ok(log.length > 0, 'the proxy did call the host IMDS')
  for (const entry of log) {
    t.notOk(entry.from.includes(containerSubnet) && !entry.from.endsWith('.1'), `request from ${entry.from} did not come from a container`)
    t.ok(entry.url === '/latest/api/token' || ['/latest/meta-data/placement/region', '/latest/meta-data/instance-id'].includes(entry.url), `upstream saw only allowlisted paths (${entry.url})`)
  }
})
