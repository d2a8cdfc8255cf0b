// Only labelled containers on the bastion network get anything. An unlabeled container,
// a container on another network, a managed container with a bad IAM_ROLE, and the host
// itself all get nothing, and none of them disturbs the proxy serving the others.
import t from 'tap'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)
const good = await runBox(t, proxy, { user: 'carol' })
const CREDENTIAL_PATHS = [
  '/latest/api/token',
  '/latest/meta-data/iam/',
  '/latest/meta-data/iam/info',
  '/latest/meta-data/iam/security-credentials/',
  '/latest/meta-data/iam/security-credentials/carol',
  '/latest/meta-data/placement/region'
]

t.test('an unlabeled container on the bastion network gets 404 on every path, the token PUT included', async (t) => {
  const stranger = await runBox(t, proxy, { role: 'carol' })
  for (const path of CREDENTIAL_PATHS) {
    const method = path.endsWith('/api/token') ? 'PUT' : 'GET'
    const r = await stranger.imds(path, { method, headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })
    t.equal(r.status, 404, `${method} ${path}`)
    t.notMatch(r.body, /AccessKeyId/)
  }
})

t.test('a labelled container on another network is not redirected and never reaches any IMDS', async (t) => {
  const net = `${proxy.network}-other`
  await execa('/usr/bin/docker', ['network', 'create', net])
  const outsider = await runBox(t, proxy, { user: 'carol', network: net })
  t.teardown(async () => {
    await outsider.remove()
    await execa('/usr/bin/docker', ['network', 'rm', net], { reject: false })
  })
  // Directly at the proxy port: the INPUT guard resets connections not from the bridge.
  const direct = await outsider.exec(['curl', '-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${proxy.gateway}:${proxy.port}/latest/meta-data/iam/security-credentials/carol`])
  t.equal(direct.stdout, '000', 'no HTTP answer from the proxy')
  t.not(direct.exitCode, 0)
})

t.test('the host itself gets no credentials from the proxy port', async (t) => {
  const r = await execa('curl', ['-s', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${proxy.gateway}:${proxy.port}/latest/meta-data/iam/security-credentials/`], { reject: false })
  t.equal(r.stdout, '000')
})

for (const [label, role] of [['a path', '../x'], ['an ARN', 'arn:aws:iam::123456789012:role/admin'], ['65 characters', 'r'.repeat(65)], ['nothing', '']] as const) {
  t.test(`a managed container whose IAM_ROLE is ${label} gets 404 and the proxy keeps serving others`, async (t) => {
    const bad = await runBox(t, proxy, { user: 'mallory', role })
    const token = await bad.token()
    const list = await bad.imds('/latest/meta-data/iam/security-credentials/', { token })
    t.equal(list.status, 404)
    const direct = await bad.imds(`/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, { token })
    t.equal(direct.status, 404)
    const stillServing = await good.imds('/latest/meta-data/iam/security-credentials/carol', { token: await good.token() })
    t.equal(stillServing.status, 200)
  })
}

t.test('a user name that cannot be an STS session name gets 404', async (t) => {
  const bad = await runBox(t, proxy, { user: 'x', role: 'validrole' })
  const r = await bad.imds('/latest/meta-data/iam/security-credentials/validrole', { token: await bad.token() })
  t.equal(r.status, 404)
})
