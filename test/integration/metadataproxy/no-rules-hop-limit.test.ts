// Fail-closed without our rules: on an instance with IMDSv2 required and a PUT response
// hop limit of 1 (the stand-in IMDS answers with IP TTL 1, see test/bed/components/imds.sh),
// a container whose traffic gets past every rule of ours is still answered by nobody,
// because the host drops the answer on the hop to the container. The proxy, a host
// process, still reaches the IMDS for its passthrough.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { testbed } from '../../fixtures/testbed.ts'

const IMDS_NETNS = 'bastion-imds'

// One kernel counter (nstat's absolute value), on the host or in the stand-in's namespace.
async function counter (name: string, netns?: string): Promise<number> {
  const cmd = netns === undefined ? ['nstat', '-asz', name] : ['ip', 'netns', 'exec', netns, 'nstat', '-asz', name]
  const out = (await execa(cmd[0] as string, cmd.slice(1))).stdout
  const line = out.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`nstat has no ${name}: ${out}`)
  return Number(line.split(/\s+/)[1])
}

t.test('with every rule of ours gone a container gets nothing from the host\'s IMDS, while the proxy on the host still does', async (t) => {
  const proxy = await startProxy(t)
  const box = await runBox(t, proxy, { user: 'ned' })
  const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string

  // The proxy's passthrough: the host's IMDS answered the proxy, with TTL 1.
  const id = await box.imds('/latest/meta-data/instance-id', { token: await box.token() })
  t.same([id.status, id.body], [200, 'i-0123456789abcdef0'], 'the proxy on the host reaches the IMDS')

  // Nothing left to repair the rules, and no rule of ours left.
  await proxy.kill('SIGKILL')
  t.equal((await proxy.cli('iptables', 'remove')).exitCode, 0)
  t.notMatch((await execa('iptables-save')).stdout, prefix, 'no chain or jump of ours')

  const log = testbed().imdsLog
  const logBefore = readFileSync(log, 'utf8').length
  const synsBefore = await counter('TcpInSegs', IMDS_NETNS)
  const expiredBefore = await counter('IcmpOutTimeExcds')
  const put = await box.imds('/latest/api/token', { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })
  t.equal(put.status, 0, 'no answer to the token PUT')
  t.equal(put.curlExit, 28, 'it times out: the answer never arrives')
  const creds = await box.imds('/latest/meta-data/iam/security-credentials/')
  t.equal(creds.status, 0, 'no answer to a tokenless GET either')
  t.notMatch(put.body + creds.body, /LEAKCANARY|bastion-host-role/)

  // The container's packets did reach the stand-in; its answers died on the host.
  t.ok(await counter('TcpInSegs', IMDS_NETNS) > synsBefore, 'the stand-in IMDS received the container\'s SYNs')
  t.ok(await counter('IcmpOutTimeExcds') > expiredBefore, 'the host dropped the answers for their TTL (ICMP time exceeded)')
  t.equal(readFileSync(log, 'utf8').length, logBefore, 'no HTTP request ever reached the stand-in')

  // The host itself is one hop from the IMDS and still gets a token.
  const token = await execa('curl', ['-s', '--max-time', '3', '-X', 'PUT', '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', 'http://169.254.169.254/latest/api/token'], { reject: false })
  t.equal(token.exitCode, 0)
  t.ok(token.stdout.length > 10, 'a token for the host')
  // Tokens are required, as with HttpTokens=required.
  const v1 = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', 'http://169.254.169.254/latest/meta-data/instance-id'], { reject: false })
  t.equal(v1.stdout, '401', 'a GET without a token is refused')
})
