// Every error this package raises, with a stable code. docs/metadataproxy/errors.md
// lists each code; a test checks that the two agree.

export const codes = {
  BASTION_METADATAPROXY_CONFIG_INVALID: 'The configuration file is invalid',
  BASTION_METADATAPROXY_CONFIG_UNREADABLE: 'The configuration file cannot be read',
  BASTION_METADATAPROXY_IPTABLES_MISSING: 'The iptables rules that keep IMDS fail-closed are missing',
  BASTION_METADATAPROXY_IPTABLES_FAILED: 'An iptables command failed',
  BASTION_METADATAPROXY_IPTABLES_BACKEND_MISMATCH: "Docker's iptables rules are in another iptables backend (legacy or nf_tables) than ours",
  BASTION_METADATAPROXY_DOCKER_UNAVAILABLE: 'The Docker Engine cannot be reached',
  BASTION_METADATAPROXY_NETWORK_MISMATCH: 'The bastion Docker network exists with other settings than configured',
  BASTION_METADATAPROXY_NETWORK_UNSAFE: 'The bastion Docker network lets containers reach each other or use IPv6',
  BASTION_METADATAPROXY_STS_ACCESS_DENIED: 'STS refused to assume the role',
  BASTION_METADATAPROXY_STS_UNAVAILABLE: 'STS could not be reached or failed',
  BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING: "The host guard's accounts (the proxy's user bastion-metadataproxy, the group bastion-imds) do not exist",
  BASTION_METADATAPROXY_UPSTREAM_FAILED: 'The host metadata service did not answer'
} as const

export type ErrorCode = keyof typeof codes

export class BastionError extends Error {
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BastionError'
    this.code = code
  }
}

export function isBastionError (err: unknown, code?: ErrorCode): err is BastionError {
  return err instanceof BastionError && (code === undefined || err.code === code)
}
