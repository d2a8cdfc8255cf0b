// What both IMDS request paths share: the caller's identity checks and the caches that
// keep the hot path cheap (canonical paths, per-container keys, credential bodies).
import type { Config } from '../config/schema.ts'
import type { ManagedContainer } from '../identity/container-index.ts'
import { roleArn } from '../identity/names.ts'
import type { CredentialKey } from '../sts/broker.ts'
import type { Credentials } from '../sts/sts-client.ts'
import { canonicalize, type CanonicalPath } from './paths.ts'
import { credentialsBody } from './responses.ts'
import type { TokenSigner } from './token.ts'

export interface ImdsContext {
  canonical (raw: string): CanonicalPath | null
  // The role name a container's IMDS lists: the last part of the prefix plus IAM_ROLE.
  roleName (c: ManagedContainer): string
  keyOf (c: ManagedContainer): { arn: string, key: CredentialKey }
  bodyOf (creds: Credentials): string
  // Whether a GET may be answered: a valid token bound to this container, or no token
  // at all when IMDSv1 is allowed.
  authorized (c: ManagedContainer, ip: string, token: string | string[] | undefined, nowMs: number): boolean
}

const PATH_CACHE_SIZE = 1024

// The caller: the TCP source address, never a header; IPv4-mapped IPv6 unwrapped.
export function callerIp (socket: { remoteAddress?: string | undefined }): string {
  const address = socket.remoteAddress ?? ''
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

export function imdsContext (config: Readonly<Config>, signer: TokenSigner): ImdsContext {
  const { credentials, imds } = config.metadataproxy
  const namePrefix = credentials.rolePrefix.slice(credentials.rolePrefix.lastIndexOf('/') + 1)
  const paths = new Map<string, CanonicalPath | null>()
  const keys = new WeakMap<ManagedContainer, { arn: string, key: CredentialKey }>()
  const bodies = new WeakMap<Credentials, string>()
  return {
    canonical (raw) {
      let path = paths.get(raw)
      if (path === undefined) {
        path = canonicalize(raw)
        if (paths.size >= PATH_CACHE_SIZE) paths.clear()
        paths.set(raw, path)
      }
      return path
    },
    roleName: (c) => namePrefix + c.role,
    keyOf (c) {
      let k = keys.get(c)
      if (k === undefined) {
        const arn = roleArn(config.aws.partition, config.aws.accountId, credentials.rolePrefix, c.role)
        k = { arn, key: { roleArn: arn, sessionName: c.user, sourceIdentity: c.user } }
        keys.set(c, k)
      }
      return k
    },
    bodyOf (creds) {
      let body = bodies.get(creds)
      if (body === undefined) {
        body = credentialsBody(creds)
        bodies.set(creds, body)
      }
      return body
    },
    authorized (c, ip, token, nowMs) {
      if (token === undefined) return imds.allowV1
      return typeof token === 'string' && signer.verify(token, { containerId: c.id, ip }, nowMs)
    }
  }
}
