// Whether a container could pretend to be its neighbour. The proxy knows a caller only
// by its source address, so a container that can send packets with any address (raw
// sockets: NET_RAW; its own addresses and ARP: NET_ADMIN; everything: privileged) could
// ask for another person's credentials. Such a container gets none.
//
// The capability set is worked out from `docker inspect` the way Docker itself works it
// out (TweakCapabilities in moby's oci/caps): Docker's default set includes NET_RAW
// unless it is dropped.

export const SPOOFING_CAPABILITIES = ['NET_RAW', 'NET_ADMIN'] as const

// Docker's default capabilities for a container (moby oci/caps/defaults.go).
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'
] as const

export interface CapabilityFacts {
  Privileged?: boolean | null
  CapAdd?: readonly string[] | null
  CapDrop?: readonly string[] | null
  // API 1.40+: the whole set, when the creator gave one.
  Capabilities?: readonly string[] | null
}

// "cap_net_raw", "CAP_NET_RAW" and "NET_RAW" all name the same capability.
function normal (cap: string): string {
  const upper = cap.trim().toUpperCase()
  return upper.startsWith('CAP_') ? upper.slice(4) : upper
}

// The capabilities the container's processes may hold; 'ALL' stands for every one.
export function effectiveCapabilities (host: CapabilityFacts): Set<string> {
  if (host.Privileged === true) return new Set(['ALL'])
  if (host.Capabilities !== undefined && host.Capabilities !== null) return new Set(host.Capabilities.map(normal))
  const add = (host.CapAdd ?? []).map(normal)
  const drop = (host.CapDrop ?? []).map(normal)
  if (add.includes('ALL')) return drop.length === 0 ? new Set(['ALL']) : new Set(['ALL', ...drop.map((c) => `-${c}`)])
  if (drop.includes('ALL')) return new Set(add)
  return new Set([...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add])
}

// Why this container could spoof a neighbour's address, or undefined when it cannot.
// Without its HostConfig nothing is known, and nothing is given.
export function spoofingReason (host: CapabilityFacts | undefined | null): string | undefined {
  if (host === undefined || host === null) return 'its capabilities are unknown (no HostConfig in docker inspect)'
  if (host.Privileged === true) return 'it is privileged, so it can send packets from any address'
  const caps = effectiveCapabilities(host)
  const held = SPOOFING_CAPABILITIES.filter((c) => caps.has(c) || (caps.has('ALL') && !caps.has(`-${c}`)))
  if (held.length === 0) return undefined
  return `it holds ${held.join(' and ')}, so it can send packets from a neighbour's address (drop ${held.length === 1 ? 'it' : 'them'}: --cap-drop ALL)`
}
