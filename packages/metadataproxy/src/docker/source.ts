// Our narrow view of the Docker Engine: what the container index needs and nothing
// more. The real adapter is a thin layer over the Engine API; unit tests use a fake.
import type Docker from 'dockerode'
import type { DockerApi } from './engine.ts'
import { BastionError } from '../errors.ts'
import { spoofingReason, type CapabilityFacts } from './capabilities.ts'

export interface ContainerFacts {
  id: string
  name: string
  running: boolean
  labels: Record<string, string>
  env: Record<string, string>
  ips: Record<string, string> // network name -> IPv4 address
  // Why it could send packets from a neighbour's address (capabilities.ts), if it could.
  spoofing?: string
}

export interface DockerEvent {
  kind: 'container' | 'network'
  action: string
  containerId: string
  networkName?: string
  timeNano: bigint
}

export interface DockerSource {
  // Running containers that carry `label` and are attached to `network`.
  listManaged (label: string, network: string, signal: AbortSignal): Promise<Array<{ id: string, ip: string | undefined }>>
  inspect (id: string, signal: AbortSignal): Promise<ContainerFacts | null>
  // Opens the stream of container and network events (from `sinceNano` on, when
  // given); iteration ends or throws when the stream breaks.
  openEvents (sinceNano: bigint | undefined, signal: AbortSignal): Promise<AsyncIterable<DockerEvent>>
}

export function dockerSource (docker: DockerApi): DockerSource {
  return {
    async listManaged (label, network, signal) {
      const list = await wrap(docker.listContainers({ filters: { label: [label], network: [network], status: ['running'] }, abortSignal: signal }))
      return list.map((c) => ({ id: c.Id, ip: c.NetworkSettings?.Networks?.[network]?.IPAddress || undefined }))
    },
    async inspect (id, signal) {
      let info: Docker.ContainerInspectInfo
      try {
        info = await docker.getContainer(id).inspect({ abortSignal: signal })
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null
        throw unavailable(err)
      }
      const env: Record<string, string> = {}
      for (const kv of info.Config.Env ?? []) {
        const eq = kv.indexOf('=')
        if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1)
      }
      const ips: Record<string, string> = {}
      for (const [net, n] of Object.entries(info.NetworkSettings.Networks ?? {})) {
        if (n.IPAddress !== '') ips[net] = n.IPAddress
      }
      const spoofing = spoofingReason(info.HostConfig as CapabilityFacts | undefined)
      return { id: info.Id, name: info.Name.replace(/^\//, ''), running: info.State.Running, labels: info.Config.Labels ?? {}, env, ips, ...(spoofing === undefined ? {} : { spoofing }) }
    },
    async openEvents (sinceNano, signal) {
      const filters = { type: ['container', 'network'] }
      const stream = await wrap(docker.getEvents(sinceNano === undefined
        ? { filters, abortSignal: signal }
        : { filters, since: `${sinceNano / 1_000_000_000n}.${String(sinceNano % 1_000_000_000n).padStart(9, '0')}`, abortSignal: signal }))
      return parseStream(stream)
    }
  }
}

async function * parseStream (stream: NodeJS.ReadableStream): AsyncIterable<DockerEvent> {
  let buffer = ''
  for await (const chunk of stream) {
    buffer += chunk.toString()
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim()
      buffer = buffer.slice(nl + 1)
      if (line === '') continue
      const event = parseEvent(line)
      if (event !== undefined) yield event
    }
  }
}

export function parseEvent (line: string): DockerEvent | undefined {
  const e = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } }
  // timeNano does not fit a double: read its digits from the text, not the parsed number.
  const timeNano = BigInt(/"timeNano":\s*(\d+)/.exec(line)?.[1] ?? '0')
  if (e.Type === 'container' && e.Actor?.ID !== undefined) {
    return { kind: 'container', action: e.Action ?? '', containerId: e.Actor.ID, timeNano }
  }
  if (e.Type === 'network' && e.Actor?.Attributes?.container !== undefined) {
    const networkName = e.Actor.Attributes.name
    return { kind: 'network', action: e.Action ?? '', containerId: e.Actor.Attributes.container, timeNano, ...(networkName !== undefined ? { networkName } : {}) }
  }
  return undefined
}

async function wrap<T> (p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (err) {
    throw unavailable(err)
  }
}

function unavailable (err: unknown): BastionError {
  return new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', `Docker Engine request failed: ${(err as Error).message}`, { cause: err })
}
