// Fail closed: without its iptables rules the proxy will not start; with the proxy
// killed, or even with the DNAT deleted, containers get no answer from any IMDS, while
// the host's own processes still reach the (stand-in) real one. A restart heals. (With
// every rule gone: no-rules-hop-limit.test.ts; the running proxy's repairs: self-repair.test.ts.)
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { testbed } from '../../fixtures/testbed.ts'

const imdsLogLength = () => readFileSync(testbed().imdsLog, 'utf8').length

t.test('the proxy refuses to serve until the iptables rules are in place', async (t) => {
  const proxy = await startProxy(t, { skipIptables: true, start: false })
  const r = await proxy.cli('serve')
  t.not(r.exitCode, 0)
  t.match(r.stderr, /BASTION_METADATAPROXY_IPTABLES_MISSING/)
  t.match(r.stderr, /iptables install/)
  t.match(r.stderr, /DNAT IMDS port 80/)
  const check = await proxy.cli('iptables', 'check')
  t.equal(check.exitCode, 1, 'check exits non-zero')
  t.match(check.stdout, /missing: .*DNAT/)
})

t.test('a killed proxy leaves containers with no IMDS answer at all; a restart heals', async (t) => {
  const proxy = await startProxy(t)
  const box = await runBox(t, proxy, { user: 'kim' })
  const token = await box.token()
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/kim', { token })).status, 200)
  await proxy.kill('SIGKILL')
  const logBefore = imdsLogLength()
  for (const [path, method] of [['/latest/api/token', 'PUT'], ['/latest/meta-data/iam/security-credentials/', 'GET'], ['/latest/meta-data/iam/security-credentials/kim', 'GET'], ['/latest/meta-data/placement/region', 'GET']] as const) {
    const r = await box.imds(path, { method, token, headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })
    t.equal(r.status, 0, `${method} ${path}: no HTTP answer`)
    t.equal(r.curlExit, 7, 'connection refused, at once')
  }
  const otherPort = await box.exec(['curl', '-s', '--max-time', '3', 'http://169.254.169.254:8080/latest/meta-data/'])
  t.equal(otherPort.exitCode, 7, 'other IMDS ports are rejected too')
  t.equal(imdsLogLength(), logBefore, 'the real IMDS saw nothing')

  await proxy.start()
  const again = await box.imds('/latest/meta-data/iam/security-credentials/kim', { token: await box.token() })
  t.equal(again.status, 200, 'served again after the restart, with a new token')
})

t.test('with the DNAT deleted the guard still keeps containers from the real IMDS', async (t) => {
  const proxy = await startProxy(t)
  const box = await runBox(t, proxy, { user: 'lee' })
  const chain = proxy.config.metadataproxy.iptables.chainPrefix as string
  // Stopped, or it would put the DNAT back within its check interval (self-repair.test.ts).
  await proxy.kill()
  await execa('iptables', ['-w', '-t', 'nat', '-D', chain, '-d', '169.254.169.254/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', `${proxy.gateway}:${proxy.port}`])
  const logBefore = imdsLogLength()
  const r = await box.imds('/latest/meta-data/iam/security-credentials/', { method: 'GET' })
  t.equal(r.status, 0, 'no answer')
  t.equal(imdsLogLength(), logBefore, 'the real IMDS saw nothing')
  const check = await proxy.cli('iptables', 'check')
  t.equal(check.exitCode, 1)
  t.equal(check.stdout.trim().split('\n').length, 1, 'check names exactly the one missing rule')
  t.match(check.stdout, /missing: nat .*DNAT IMDS port 80/)
  const repair = await proxy.cli('iptables', 'install')
  t.match(repair.stdout, /added nat .*DNAT/)
  await proxy.start()
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/lee', { token: await box.token() })).status, 200, 'install repaired it')
})

t.test("the host's own processes still reach the real IMDS", async (t) => {
  const proxy = await startProxy(t)
  t.ok(proxy.port > 0)
  const token = await execa('curl', ['-s', '--max-time', '3', '-X', 'PUT', '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', 'http://169.254.169.254/latest/api/token'])
  const id = await execa('curl', ['-s', '--max-time', '3', '-H', `X-aws-ec2-metadata-token: ${token.stdout}`, 'http://169.254.169.254/latest/meta-data/instance-id'])
  t.equal(id.stdout, 'i-0123456789abcdef0', 'answered by the stand-in real IMDS, not the proxy')
})

t.test('iptables install is idempotent and remove leaves no trace', async (t) => {
  const proxy = await startProxy(t, { start: false })
  const second = await proxy.cli('iptables', 'install')
  t.equal(second.stdout.trim(), 'iptables: all rules already in place')
  const removed = await proxy.cli('iptables', 'remove')
  t.match(removed.stdout, /removed: /)
  const chain = proxy.config.metadataproxy.iptables.chainPrefix as string
  const saved = (await execa('iptables-save')).stdout
  t.notOk(saved.includes(chain), 'no chain or jump of ours is left')
  t.equal((await proxy.cli('iptables', 'remove')).stdout.trim(), 'iptables: nothing to remove')
  await proxy.cli('iptables', 'install')
})
