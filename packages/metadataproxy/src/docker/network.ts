// The bastion Docker network: created when missing, verified when present. Containers
// on it cannot talk to each other (ICC off) and have no IPv6 (the proxy answers IMDS on
// IPv4 only, and the egress rules reject all IPv6); the proxy listens on its gateway.
import type Docker from 'dockerode'
import type { DockerApi } from './engine.ts'
import type { Config } from '../config/schema.ts'
import { BastionError } from '../errors.ts'
import { gatewayOf } from '@bastion/config'

// The gateway of the network's subnet, where the proxy listens (shared with the shell).
export { gatewayOf }

type NetworkConfig = Pick<Config['network'], 'name' | 'bridge' | 'subnet'>

// Why an existing network is unsafe to serve, or undefined. A network made by hand or
// by an older version may have inter-container traffic or IPv6 on: then a container
// reaches its neighbours, or has an address family none of our rules guard.
// What networkProblem reads of `docker network inspect`.
export interface NetworkFacts { Options?: Record<string, string> | undefined, EnableIPv6?: boolean | undefined }

export function networkProblem (info: NetworkFacts, name: string): string | undefined {
  const found: string[] = []
  if (info.Options?.['com.docker.network.bridge.enable_icc'] !== 'false') found.push('inter-container traffic on (com.docker.network.bridge.enable_icc is not "false")')
  if (info.EnableIPv6 === true) found.push('IPv6 on (EnableIPv6), which the proxy does not guard: there is no IPv6 IMDS for its containers and fd00:ec2::254 must stay out of reach')
  if (found.length === 0) return undefined
  return `Docker network ${name} has ${found.join(' and ')}; remove it (docker network rm ${name}, after removing its containers) and let the proxy create it`
}

export async function ensureNetwork (docker: DockerApi, net: NetworkConfig): Promise<{ created: boolean; gateway: string }> {
  const gateway = gatewayOf(net.subnet)
  let info: Docker.NetworkInspectInfo | undefined
  try {
    info = await docker.getNetwork(net.name).inspect() as Docker.NetworkInspectInfo
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) {
      throw new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', `cannot inspect Docker network ${net.name}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (info !== undefined) {
    const subnet = info.IPAM?.Config?.[0]?.Subnet
    const bridge = info.Options?.['com.docker.network.bridge.name']
    if (subnet !== net.subnet || bridge !== net.bridge) {
      throw new BastionError('BASTION_METADATAPROXY_NETWORK_MISMATCH',
        `Docker network ${net.name} has subnet ${subnet ?? '?'} and bridge ${bridge ?? '?'}, but the config says ${net.subnet} and ${net.bridge}; remove the network or fix network.* in the config`)
    }
    const problem = networkProblem(info, net.name)
    if (problem !== undefined) throw new BastionError('BASTION_METADATAPROXY_NETWORK_UNSAFE', `refusing to serve: ${problem}`)
    return { created: false, gateway }
  }
  try {
    await docker.createNetwork({
      Name: net.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Config: [{ Subnet: net.subnet, Gateway: gateway }] },
      Options: {
        'com.docker.network.bridge.name': net.bridge,
        'com.docker.network.bridge.enable_icc': 'false'
      },
      EnableIPv6: false,
      Labels: { 'bastion.managed': 'true' }
    })
  } catch (err) {
    throw new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', `cannot create Docker network ${net.name}: ${(err as Error).message}`, { cause: err })
  }
  return { created: true, gateway }
}
