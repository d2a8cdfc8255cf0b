// Killing the metadata proxy breaks kubectl's authentication with a clear error, and
// never hands the container the bastion host's own role; starting it again heals the
// session that was open all along.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { containerStsEndpoint, killProxy, localBastion, session } from '../../fixtures/e2e-bastion.ts'
import { seedPods } from '../../fixtures/e2e-cluster.ts'
import { HOST_ACCESS_KEY_ID, HOST_ROLE } from '../../fixtures/fake-imds-canary.ts'
import { bedFacts } from '../../fixtures/testbed.ts'

const b = localBastion()
const imdsLog = bedFacts()('BASTION_TEST_IMDS_LOG')
await seedPods()

t.test('no proxy: kubectl fails on credentials, the host role never shows; a restart heals the same session', async (t) => {
  const s = await session(b, 'johnsmith', t)
  const ok = await s.run('kubectl get pods -n default -o name')
  t.equal(ok.exitCode, 0, 'it succeeds', { output: ok.output })
  t.match(ok.output, 'pod/e2e-web')

  const imdsBefore = statSync(imdsLog, { throwIfNoEntry: false })?.size ?? 0
  const proxy = await killProxy(b)
  let restarted = false
  t.teardown(async () => { if (!restarted) await proxy.restart() })

  const broken = await s.run('kubectl get pods -n default -o name', 120_000)
  t.not(broken.exitCode, 0, 'kubectl fails')
  t.match(broken.output, /Unable to locate credentials/, 'the aws CLI says why')
  t.match(broken.output, /getting credentials: exec: executable aws failed/, 'kubectl says where')
  t.notMatch(broken.output, 'pod/e2e-web')

  const who = await s.run(`aws sts get-caller-identity --endpoint-url ${containerStsEndpoint()} --output json`, 120_000)
  t.not(who.exitCode, 0, 'no identity at all')
  t.notMatch(who.output, /"Arn"/)
  const imds = await s.run('curl -s -m 5 -o /dev/null -w "%{http_code}" http://169.254.169.254/latest/meta-data/iam/security-credentials/')
  t.not(imds.exitCode, 0, 'IMDS does not answer the container')
  for (const r of [broken, who, imds]) {
    t.notMatch(r.output, HOST_ROLE, 'never the host role')
    t.notMatch(r.output, HOST_ACCESS_KEY_ID, 'never the host keys')
  }
  const imdsAfter = statSync(imdsLog, { throwIfNoEntry: false })?.size ?? 0
  t.equal(readFileSync(imdsLog).subarray(imdsBefore, imdsAfter).toString(), '', 'no request reached the host\'s IMDS during the outage')

  await proxy.restart()
  restarted = true
  const healed = await s.run('kubectl get pods -n default -o name', 120_000)
  t.equal(healed.exitCode, 0, 'it succeeds', { output: healed.output })
  t.match(healed.output, 'pod/e2e-web')
})
