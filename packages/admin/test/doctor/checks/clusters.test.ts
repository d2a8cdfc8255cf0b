// Check `clusters`: each endpoint answers /version over TLS with its own CA.
import t from 'tap'
import { clustersCheck } from '../../../src/doctor/checks/clusters.ts'
import { hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { answers, doctorContext } from '../fixtures.ts'
import { FakeEks } from '../../fixtures/toolbox.ts'

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const CA = Buffer.from(PEM).toString('base64')
const config = (clusters: string) => hostConfig(`aws: { accountId: "123456789012" }\nclusters: ${clusters}\n`)

t.test('no clusters: ok, saying so', async (t) => {
  t.same(await clustersCheck.run(doctorContext(scratchDir(t))), { status: 'ok', detail: 'no clusters are configured' })
})

t.test('every endpoint answers (any status), asked with its own CA only', async (t) => {
  const probe = answers({ 'https://a.example/version': { status: 401, body: '' }, 'https://b.example/version': { status: 200, body: '{}' } })
  const ctx = doctorContext(scratchDir(t), { probe, config: config(`[{ name: a, region: eu-west-1, endpoint: "https://a.example/", certificateAuthority: "${CA}" }, { name: b, region: eu-west-1, endpoint: "https://b.example", certificateAuthority: "${CA.slice(0, 20)}\n  ${CA.slice(20)}" }]`) })
  t.same(await clustersCheck.run(ctx), { status: 'ok', detail: '2 cluster(s) answer over TLS: a, b' })
  t.same(probe.asked, [{ url: 'https://a.example/version', ca: PEM }, { url: 'https://b.example/version', ca: PEM }])
})

t.test('refused, untrusted and not PEM: one problem each, with its fix', async (t) => {
  const probe = answers({
    'https://tls.example/version': { error: 'self-signed certificate in certificate chain', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    'https://quiet.example/version': { error: 'no answer within 5000 ms' }
  })
  const ctx = doctorContext(scratchDir(t), {
    probe,
    config: config(`[
      { name: down, region: eu-west-1, endpoint: "https://down.example", certificateAuthority: "${CA}" },
      { name: tls, region: eu-west-1, endpoint: "https://tls.example", certificateAuthority: "${CA}" },
      { name: quiet, region: eu-west-1, endpoint: "https://quiet.example", certificateAuthority: "${CA}" },
      { name: notpem, region: eu-west-1, endpoint: "https://x.example", certificateAuthority: "aGVsbG8=" }]`)
  })
  const f = await clustersCheck.run(ctx)
  t.same(f.status === 'problems' ? f.problems : [], [
    { problem: 'cluster down: https://down.example does not answer (ECONNREFUSED)', fix: "check clusters.0.endpoint, this host's route to it and the cluster's endpoint access (public/private, security groups)" },
    { problem: 'cluster tls: https://tls.example presents a certificate its configured CA does not vouch for (SELF_SIGNED_CERT_IN_CHAIN)', fix: 'update clusters.1.certificateAuthority from `aws eks describe-cluster --name tls`' },
    { problem: 'cluster quiet: https://quiet.example does not answer (no answer within 5000 ms)', fix: "check clusters.2.endpoint, this host's route to it and the cluster's endpoint access (public/private, security groups)" },
    { problem: 'cluster notpem: clusters.3.certificateAuthority is not the base64 of a PEM certificate', fix: 'set it to certificateAuthority.data of `aws eks describe-cluster --name notpem`' }
  ])
  t.equal(probe.asked.length, 3, 'a CA that is not PEM is never used')
})

t.test('clusters listed without endpoint, and discovered ones, are looked up through EKS and checked', async (t) => {
  const eks = new FakeEks()
  eks.clusters.set('eu-west-1/described', { endpoint: 'https://described.example', certificateAuthority: CA, status: 'ACTIVE' })
  eks.clusters.set('us-east-2/found', { endpoint: 'https://found.example', certificateAuthority: CA, status: 'ACTIVE' })
  eks.clusters.set('us-east-2/listed', { endpoint: 'https://other.example', certificateAuthority: CA, status: 'ACTIVE' })
  const probe = answers({ 'https://listed.example/version': { status: 403, body: '' }, 'https://described.example/version': { status: 401, body: '' } })
  const ctx = doctorContext(scratchDir(t), {
    eks,
    probe,
    config: hostConfig(`aws: { accountId: "123456789012" }\ntoolbox: { kubeconfig: { discover: { regions: [us-east-2] } } }\nclusters: [{ name: listed, region: us-east-2, endpoint: "https://listed.example", certificateAuthority: "${CA}" }, { name: described, region: eu-west-1 }]\n`)
  })
  const f = await clustersCheck.run(ctx)
  t.same(f, { status: 'problems', problems: [{ problem: 'cluster found: https://found.example does not answer (ECONNREFUSED)', fix: "check the endpoint EKS gives, this host's route to it and the cluster's endpoint access (public/private, security groups)" }] })
  t.same(probe.asked.map((a) => a.url), ['https://listed.example/version', 'https://described.example/version', 'https://found.example/version'], 'a listed cluster is checked as listed, not as EKS describes it')
  t.same(eks.calls, ['describe eu-west-1/described', 'list us-east-2', 'describe us-east-2/found', 'describe us-east-2/listed'])
})

t.test('EKS failing is one problem; the listed clusters are still checked', async (t) => {
  const eks = new FakeEks()
  eks.fail = new Error('AccessDeniedException: not authorized to perform eks:DescribeCluster')
  const probe = answers({ 'https://listed.example/version': { status: 200, body: '' } })
  const ctx = doctorContext(scratchDir(t), { eks, probe, config: config(`[{ name: listed, region: eu-west-1, endpoint: "https://listed.example", certificateAuthority: "${CA}" }, { name: described, region: eu-west-1 }]`) })
  const f = await clustersCheck.run(ctx)
  t.match(f, { status: 'problems', problems: [{ problem: /^the clusters to look up through EKS cannot be read: DescribeCluster described in eu-west-1 failed: AccessDeniedException/, fix: /eks:DescribeCluster and eks:ListClusters/ }] })
  t.same(probe.asked.map((a) => a.url), ['https://listed.example/version'])
})

t.test('an untrusted endpoint that EKS described gets a fix that fits', async (t) => {
  const eks = new FakeEks()
  eks.clusters.set('eu-west-1/d', { endpoint: 'https://d.example', certificateAuthority: CA, status: 'ACTIVE' })
  const probe = answers({ 'https://d.example/version': { error: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } })
  const f = await clustersCheck.run(doctorContext(scratchDir(t), { eks, probe, config: config('[{ name: d, region: eu-west-1 }]') }))
  t.match(f, { problems: [{ problem: /does not vouch for \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/, fix: 'compare `aws eks describe-cluster --name d` with what answers at https://d.example (a proxy in between?)' }] })
})
