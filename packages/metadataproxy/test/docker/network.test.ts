// The bastion network: its gateway (where the proxy listens), and creating or checking
// it against a dockerode stand-in.
import t from 'tap'
import type { DockerApi } from '../../src/docker/engine.ts'
import { ensureNetwork, gatewayOf } from '../../src/docker/network.ts'

t.test('the gateway is the first address of the subnet', async (t) => {
  const cases: Array<[string, string]> = [
    ['10.250.0.0/24', '10.250.0.1'],
    ['10.250.0.77/24', '10.250.0.1'],
    ['172.18.5.0/16', '172.18.0.1'],
    ['192.168.1.16/28', '192.168.1.17'],
    ['192.168.1.31/28', '192.168.1.17'],
    ['10.0.255.255/16', '10.0.0.1'],
    ['255.255.255.0/24', '255.255.255.1']
  ]
  for (const [subnet, gateway] of cases) t.equal(gatewayOf(subnet), gateway, subnet)
})

const net = { name: 'bastion', bridge: 'bastion0', subnet: '10.250.0.0/24' }
const ours = { 'com.docker.network.bridge.name': 'bastion0', 'com.docker.network.bridge.enable_icc': 'false' }

function fakeDockerode (inspect: () => Promise<unknown>, create: (opts: unknown) => Promise<unknown> = async () => ({})) {
  const created: unknown[] = []
  const inspected: string[] = []
  const docker = {
    getNetwork: (name: string) => ({ inspect: async () => { inspected.push(name); return await inspect() } }),
    createNetwork: async (opts: unknown) => { created.push(opts); return await create(opts) }
  }
  return { docker: docker as unknown as DockerApi, created, inspected }
}

const notFound = async (): Promise<never> => { throw Object.assign(new Error('network bastion not found'), { statusCode: 404 }) }

t.test('a missing network is created with ICC off, our subnet, gateway and bridge name', async (t) => {
  const { docker, created, inspected } = fakeDockerode(notFound)
  t.same(await ensureNetwork(docker, net), { created: true, gateway: '10.250.0.1' })
  t.same(inspected, ['bastion'])
  t.same(created, [{
    Name: 'bastion',
    Driver: 'bridge',
    CheckDuplicate: true,
    IPAM: { Config: [{ Subnet: '10.250.0.0/24', Gateway: '10.250.0.1' }] },
    Options: { 'com.docker.network.bridge.name': 'bastion0', 'com.docker.network.bridge.enable_icc': 'false' },
    EnableIPv6: false,
    Labels: { 'bastion.managed': 'true' }
  }])
})

t.test('an existing network with our settings is used as it is', async (t) => {
  const { docker, created } = fakeDockerode(async () => ({ IPAM: { Config: [{ Subnet: '10.250.0.0/24' }] }, Options: ours, EnableIPv6: false }))
  t.same(await ensureNetwork(docker, net), { created: false, gateway: '10.250.0.1' })
  t.same(created, [])
})

t.test('an existing network with ICC or IPv6 on is NETWORK_UNSAFE, and nothing is changed', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ Options: { 'com.docker.network.bridge.name': 'bastion0' } }, /inter-container traffic on/],
    [{ Options: { ...ours, 'com.docker.network.bridge.enable_icc': 'true' } }, /inter-container traffic on/],
    [{ Options: ours, EnableIPv6: true }, /IPv6 on \(EnableIPv6\)/],
    [{ Options: { 'com.docker.network.bridge.name': 'bastion0' }, EnableIPv6: true }, /inter-container traffic on .* and IPv6 on/]
  ]
  for (const [info, message] of cases) {
    const { docker, created } = fakeDockerode(async () => ({ IPAM: { Config: [{ Subnet: '10.250.0.0/24' }] }, ...info }))
    await t.rejects(ensureNetwork(docker, net), { code: 'BASTION_METADATAPROXY_NETWORK_UNSAFE', message })
    await t.rejects(ensureNetwork(docker, net), { message: /refusing to serve: .*docker network rm bastion/ })
    t.same(created, [])
  }
})

t.test('an existing network with another subnet or bridge is NETWORK_MISMATCH', async (t) => {
  for (const info of [
    { IPAM: { Config: [{ Subnet: '172.18.0.0/16' }] }, Options: { 'com.docker.network.bridge.name': 'bastion0' } },
    { IPAM: { Config: [{ Subnet: '10.250.0.0/24' }] }, Options: { 'com.docker.network.bridge.name': 'br-123' } },
    {}
  ]) {
    const { docker, created } = fakeDockerode(async () => info)
    await t.rejects(ensureNetwork(docker, net), { code: 'BASTION_METADATAPROXY_NETWORK_MISMATCH', message: /remove the network or fix network\.\*/ })
    t.same(created, [])
  }
})

t.test('Docker failing to inspect or create is DOCKER_UNAVAILABLE', async (t) => {
  await t.rejects(ensureNetwork(fakeDockerode(async () => { throw Object.assign(new Error('boom'), { statusCode: 500 }) }).docker, net),
    { code: 'BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', message: /cannot inspect/ })
  await t.rejects(ensureNetwork(fakeDockerode(notFound, async () => { throw new Error('pool overlaps') }).docker, net),
    { code: 'BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', message: /cannot create Docker network bastion: pool overlaps/ })
})
