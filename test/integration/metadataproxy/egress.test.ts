// Containers reach only what they need (network.egress): from a real container on a
// test network, through the real kernel, probing the host's ports on its addresses, the
// other AWS metadata endpoints and the link-local range (owned by a network namespace of
// ours, so nothing leaves this machine), a neighbour over IPv6, and the host over IPv6.
// Before the egress rules, every one of these probes got an answer.
import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes, randomInt } from 'node:crypto'
import { spawn } from 'node:child_process'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox, type Box } from '../../fixtures/containers.ts'

const id = randomBytes(3).toString('hex')

// An HTTP server on every address of this host (IPv4 and IPv6) that says who it is.
async function hostServer (name: string): Promise<{ port: number }> {
  const server: Server = createServer((_req, res) => { res.end(`${name}-${id}`) })
  await new Promise<void>((resolve) => server.listen(0, '::', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { port: (server.address() as AddressInfo).port }
}

// What a container gets from a URL: the body, or nothing (curl failed: refused, unreachable).
async function probe (box: Box, url: string): Promise<string | undefined> {
  const r = await box.exec(['curl', '-s', '-g', '--max-time', '4', url])
  return r.exitCode === 0 ? r.stdout : undefined
}

// A network namespace of ours that owns the other metadata endpoints and two more
// link-local addresses, reached by a host route through a veth pair, with an HTTP
// server on port 80 of each.
const k = randomInt(201, 251)
const ns = `bt-eg-${id}`
const hostIf = `btega${id}`
const nsIf = `btegb${id}`
const LINK = `169.254.${k}`
const OWNED = ['169.254.170.2', '169.254.170.23', '169.254.170.99']
const ip = (...args: string[]) => execa('ip', args)
t.teardown(async () => {
  for (const a of OWNED) await execa('ip', ['route', 'del', `${a}/32`], { reject: false })
  await execa('ip', ['link', 'del', hostIf], { reject: false })
  await execa('ip', ['netns', 'del', ns], { reject: false })
})
if ((await execa('ip', ['-4', '-o', 'addr'])).stdout.includes(`${LINK}.`)) throw new Error(`${LINK}.0/30 is in use on this host; run again`)
await ip('netns', 'add', ns)
await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf)
await ip('link', 'set', nsIf, 'netns', ns)
await ip('addr', 'add', `${LINK}.1/30`, 'dev', hostIf)
await ip('link', 'set', hostIf, 'up')
await ip('-n', ns, 'addr', 'add', `${LINK}.2/30`, 'dev', nsIf)
for (const a of OWNED) await ip('-n', ns, 'addr', 'add', `${a}/32`, 'dev', nsIf)
await ip('-n', ns, 'link', 'set', nsIf, 'up')
await ip('-n', ns, 'link', 'set', 'lo', 'up')
for (const a of OWNED) await ip('route', 'add', `${a}/32`, 'via', `${LINK}.2`, 'dev', hostIf)
const nsServer = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
  `require('node:http').createServer((q, s) => s.end('ns-' + q.socket.localAddress)).listen(80, '0.0.0.0', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
t.teardown(() => { nsServer.kill('SIGKILL') })
await new Promise<void>((resolve, reject) => { nsServer.stdout.once('data', () => resolve()); nsServer.once('exit', (c) => reject(new Error(`netns server exited with ${c}`))) })

const blocked = await hostServer('blocked')
const allowed = await hostServer('allowed')
const proxy = await startProxy(t, {
  egress: (gateway: string) => ({ allow: [{ to: `${gateway}/32`, tcp: [allowed.port] }, { to: '169.254.170.0/24' }] })
})
const v6 = { 'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.default.disable_ipv6': '0' }
const alice = await runBox(t, proxy, { user: 'alice', sysctls: v6 })
const bob = await runBox(t, proxy, { user: 'bob', sysctls: v6 })

// The host's IPv4 addresses that are not our bridge's: its uplink, docker0, and the like.
const otherHostAddresses = (await execa('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global'])).stdout.split('\n')
  .map((l) => /inet (\S+)\//.exec(l)?.[1]).filter((a): a is string => a !== undefined && a !== proxy.gateway)

t.test("a container reaches no port of the host but the proxy's, on the gateway or any other address of the host", async (t) => {
  t.equal(await probe(alice, `http://${proxy.gateway}:${blocked.port}/`), undefined, 'a host port on the bridge gateway')
  t.ok(otherHostAddresses.length > 0, 'the host has other addresses to try')
  for (const a of otherHostAddresses) t.equal(await probe(alice, `http://${a}:${blocked.port}/`), undefined, `the same port on ${a}`)
  t.equal(await probe(alice, `http://${LINK}.1:${blocked.port}/`), undefined, 'the same port on a link-local address of the host')
  const token = await alice.token()
  t.ok(token.length > 20, 'IMDS through the DNAT still answers')
  t.equal(await probe(alice, `http://${proxy.gateway}:${allowed.port}/`), `allowed-${id}`, 'an allowed port of the host (network.egress.allow) answers')
})

t.test('the other metadata endpoints and the link-local range are rejected, even with an allow that covers them', async (t) => {
  t.equal(await probe(alice, 'http://169.254.170.2/'), undefined, '169.254.170.2 (ECS task credentials)')
  t.equal(await probe(alice, 'http://169.254.170.23/'), undefined, '169.254.170.23 (EKS Pod Identity)')
  t.equal(await probe(alice, `http://${LINK}.2/`), undefined, 'another link-local address')
  t.equal(await probe(alice, 'http://169.254.170.99/'), 'ns-169.254.170.99', 'the namespace answers where the allow reaches it, so the probes above could succeed')
})

t.test('a neighbour is out of reach over IPv4 and over IPv6 link-local, and so is the host over IPv6', async (t) => {
  await bob.exec(['sh', '-c', 'python3 -m http.server --bind :: 8080 >/dev/null 2>&1 &'])
  // The address once duplicate address detection is over: a tentative one answers nothing,
  // which would make the probes below pass for the wrong reason.
  const linkLocal = async (box: Box): Promise<string> => {
    const r = await box.exec(['sh', '-c', `for i in $(seq 100); do
      set -- $(awk '$6 == "eth0" && $1 ~ /^fe80/ {print $1, $5}' /proc/net/if_inet6)
      [ -n "$1" ] && [ $((0x$2 & 0x40)) -eq 0 ] && { echo "$1"; exit 0; }
      sleep 0.1
    done; exit 1`])
    const hex = r.stdout.trim()
    t.match(hex, /^fe80[0-9a-f]{28}$/, `${box.name} has an IPv6 link-local address, past duplicate address detection`)
    return hex.replace(/(.{4})(?!$)/g, '$1:')
  }
  await linkLocal(alice)
  const bobV6 = await linkLocal(bob)
  t.ok(await bob.exec(['sh', '-c', `for i in $(seq 50); do curl -s -o /dev/null -g --max-time 1 'http://[::1]:8080/' && exit 0; sleep 0.2; done; exit 1`]).then((r) => r.exitCode === 0), "bob's server answers inside his container")
  t.equal(await probe(alice, `http://${bob.ip}:8080/`), undefined, "bob's IPv4 address")
  t.equal(await probe(alice, `http://[${bobV6}%eth0]:8080/`), undefined, "bob's IPv6 link-local address")
  let bridgeV6: string | undefined
  for (let i = 0; i < 100 && bridgeV6 === undefined; i++) {
    const shown = (await execa('ip', ['-6', 'addr', 'show', 'dev', proxy.bridge])).stdout
    bridgeV6 = shown.includes('tentative') ? undefined : /inet6 (fe80::[0-9a-f:]+)\//.exec(shown)?.[1]
    if (bridgeV6 === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(bridgeV6, 'the bridge has an IPv6 link-local address, past duplicate address detection')
  t.equal(await probe(alice, `http://[${bridgeV6}%eth0]:${allowed.port}/`), undefined, 'the host over IPv6, even on the port allowed over IPv4')
  const dns = await alice.exec(['getent', 'ahostsv4', bob.name])
  t.match(dns.stdout, bob.ip, "Docker's embedded DNS still answers inside the container")
})

t.test('the egress rules are part of the rule set: check names a deleted one, install puts it back', async (t) => {
  // Stopped first, so that its own repair cannot put the rule back while we look.
  await proxy.kill()
  const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string
  await execa('iptables', ['-w', '5', '-D', 'INPUT', '-i', proxy.bridge, '-j', `${prefix}-HOST`])
  t.equal(await probe(alice, `http://${proxy.gateway}:${blocked.port}/`), `blocked-${id}`, 'without the jump the host port answers')
  const check = await proxy.cli('iptables', 'check')
  t.equal(check.exitCode, 1)
  t.match(check.stdout, `missing: filter INPUT: traffic from ${proxy.bridge} to the host jumps to ${prefix}-HOST`)
  const install = await proxy.cli('iptables', 'install')
  t.equal(install.exitCode, 0, install.stderr)
  t.equal(await probe(alice, `http://${proxy.gateway}:${blocked.port}/`), undefined, 'closed again')
})

t.test('the proxy refuses an existing network with inter-container traffic or IPv6 on', async (t) => {
  for (const [what, extra] of [['ICC on', ['-o', 'com.docker.network.bridge.enable_icc=true']], ['IPv6 on', ['-o', 'com.docker.network.bridge.enable_icc=false', '--ipv6', '--subnet', `fd00:b7:${id.slice(0, 4)}::/64`]]] as const) {
    const other = await startProxy(t, { start: false })
    await execa('docker', ['network', 'create', '--driver', 'bridge', '--subnet', other.subnet, '--gateway', other.gateway,
      '-o', `com.docker.network.bridge.name=${other.bridge}`, ...extra, other.network])
    await t.rejects(other.start(), /BASTION_METADATAPROXY_NETWORK_UNSAFE|refusing to serve: Docker network/, what)
    t.match(other.rawOutput(), what === 'ICC on' ? /inter-container traffic on/ : /IPv6 on \(EnableIPv6\)/, what)
  }
})
