// Check `clusters`: each endpoint answers /version over TLS with its own CA.
import t from 'tap'
import { clustersCheck } from '../../../src/doctor/checks/clusters.ts'
import { hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { answers, doctorContext } from '../fixtures.ts'

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

t.test('refused, untrusted, not PEM, and not checkable: one problem each, with its fix', async (t) => {
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
      { name: notpem, region: eu-west-1, endpoint: "https://x.example", certificateAuthority: "aGVsbG8=" },
      { name: discovered, region: eu-west-1 }]`)
  })
  const f = await clustersCheck.run(ctx)
  t.same(f.status === 'problems' ? f.problems : [], [
    { problem: 'cluster down: https://down.example does not answer (ECONNREFUSED)', fix: "check clusters.0.endpoint, this host's route to it and the cluster's endpoint access (public/private, security groups)" },
    { problem: 'cluster tls: https://tls.example presents a certificate its configured CA does not vouch for (SELF_SIGNED_CERT_IN_CHAIN)', fix: 'update clusters.1.certificateAuthority from `aws eks describe-cluster --name tls`' },
    { problem: 'cluster quiet: https://quiet.example does not answer (no answer within 5000 ms)', fix: "check clusters.2.endpoint, this host's route to it and the cluster's endpoint access (public/private, security groups)" },
    { problem: 'cluster notpem: clusters.3.certificateAuthority is not the base64 of a PEM certificate', fix: 'set it to certificateAuthority.data of `aws eks describe-cluster --name notpem`' },
    { problem: 'cluster discovered: clusters.4 has no endpoint and CA to check', fix: 'add endpoint and certificateAuthority (from `aws eks describe-cluster`)' }
  ])
  t.equal(probe.asked.length, 3, 'a CA that is not PEM is never used')
})
