// The IPv4 subnet of the network section ("10.250.0.0/24"), as the metadata proxy and
// the login shell both use it: the gateway, the first host address, where the proxy
// listens; and every host address (the network and broadcast addresses are no host's).
// Host bits given in the subnet as written do not matter.
function range (subnet: string): { base: number, size: number } {
  const [addr = '', bits = '32'] = subnet.split('/')
  const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
  const size = 2 ** (32 - Number(bits))
  return { base: n - (n % size), size }
}

function dotted (n: number): string {
  return [24, 16, 8, 0].map((s) => String(Math.floor(n / 2 ** s) % 256)).join('.')
}

export function gatewayOf (subnet: string): string {
  return dotted(range(subnet).base + 1)
}

export function hostAddresses (subnet: string): string[] {
  const { base, size } = range(subnet)
  const out: string[] = []
  for (let i = 1; i < size - 1; i++) out.push(dotted(base + i))
  return out
}
