// The schema of /etc/bastion/bastion.yaml as far as the metadata proxy reads it.
// Every option carries a one-line description; etc/bastion.example.yaml repeats them.
// Sections owned by other components are accepted here as objects and validated there.
import { Type, type Static } from '@sinclair/typebox'
import { AwsSection, NetworkSection, foreignSections } from '@bastion/config'

const strict = { additionalProperties: false } as const

// Paths that may be passed through to the host's IMDS. Anything that can carry the
// host's identity is refused by the schema itself, whatever an operator writes.
export const FORBIDDEN_PASSTHROUGH = [
  'meta-data/iam',
  'meta-data/identity-credentials',
  'user-data',
  'dynamic/instance-identity/pkcs7',
  'dynamic/instance-identity/signature',
  'dynamic/instance-identity/rsa2048'
] as const

const Imds = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 8775, description: 'Port on the bridge gateway that the iptables DNAT sends IMDS traffic to' }),
  allowV1: Type.Boolean({ default: false, description: 'Answer IMDSv1 (tokenless) requests; off by default, as AWS recommends' }),
  maxHeaderBytes: Type.Integer({ minimum: 1024, maximum: 65536, default: 8192, description: 'Largest request header block accepted; larger ones get 431' }),
  maxConnectionsPerSource: Type.Integer({ minimum: 1, maximum: 1024, default: 32, description: 'Open connections one container may hold; the kernel drops the SYNs of more (connlimit), and the proxy closes any that get past it at accept, before any work' }),
  maxConnections: Type.Integer({ minimum: 64, maximum: 60000, default: 4096, description: 'Open connections in all; the last eighth is kept for containers holding none (keep it under the unit\'s LimitNOFILE)' }),
  headersTimeoutMs: Type.Integer({ minimum: 500, maximum: 60000, default: 5000, description: 'A new connection must send its first byte, and then its whole header block, within this' }),
  requestTimeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 10000, description: 'A whole request must be received within this (never cuts an answer waiting on STS)' }),
  idleTimeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 5000, description: 'An idle keep-alive connection is closed after this' })
}, strict)

const Admin = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'Address of the admin listener (/healthz, /metrics); keep it off the bastion network' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8776, description: 'Port of the admin listener (0 picks a free one)' })
}, strict)

const Credentials = Type.Object({
  rolePrefix: Type.String({ default: 'k8s-access/', pattern: '^([\\w+=,.@-]+/)*[\\w+=,.@-]*$', description: "Prepended to IAM_ROLE to form the role name, may include an IAM path; rbacsync's path (rbacsync.iam.path) without its leading slash" }),
  durationSeconds: Type.Integer({ minimum: 900, maximum: 3600, default: 3600, description: 'Lifetime asked of STS AssumeRole; at most 3600, since assuming a user role with the instance role is role chaining, which AWS caps at one hour' }),
  minRemainingSeconds: Type.Integer({ minimum: 60, default: 900, description: 'A served credential normally has at least this much life left' }),
  refreshBeforeSeconds: Type.Integer({ minimum: 61, default: 1200, description: 'Background refresh starts when life left drops below this' }),
  accessDeniedCacheSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30, description: 'How long an AccessDenied from STS is remembered before trying again' }),
  stsTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Timeout of one STS call' }),
  retryBaseMs: Type.Integer({ minimum: 10, default: 1000, description: 'First backoff after an STS failure; doubles up to retryMaxMs' }),
  retryMaxMs: Type.Integer({ minimum: 10, default: 60000, description: 'Longest backoff between STS retries' })
}, strict)

const Passthrough = Type.Object({
  upstream: Type.String({ default: 'http://169.254.169.254', pattern: '^http://', description: "The host's real IMDS" }),
  paths: Type.Array(Type.String({ pattern: '^(meta-data|dynamic)/[a-zA-Z0-9/_-]+$' }), {
    default: [
      'meta-data/instance-id',
      'meta-data/instance-type',
      'meta-data/placement/region',
      'meta-data/placement/availability-zone',
      'meta-data/placement/availability-zone-id',
      'meta-data/services/domain',
      'meta-data/services/partition',
      'dynamic/instance-identity/document'
    ],
    uniqueItems: true,
    description: 'The only paths passed through to the host IMDS (below /latest/); everything else is 404'
  }),
  cacheSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 300, description: 'How long passed-through answers are cached' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 30000, default: 2000, description: 'Timeout of one call to the host IMDS' })
}, strict)

const Docker = Type.Object({
  socketPath: Type.String({ default: '/var/run/docker.sock', description: 'Docker Engine API socket' }),
  resyncSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60, description: 'Full resync of the container index, on top of the events stream' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Timeout of one Docker API call' })
}, strict)

const Iptables = Type.Object({
  chainPrefix: Type.String({ default: 'BASTION-IMDS', pattern: '^[A-Z][A-Z0-9_-]{0,21}$', description: 'Names our iptables chains (PREFIX, PREFIX-GUARD, PREFIX-INPUT, PREFIX-OUT, ...); change it only to run two proxies on one host' }),
  checkSeconds: Type.Integer({ minimum: 1, maximum: 10, default: 5, description: 'How often the running proxy checks that its rules are in place and first, and repairs them' }),
  hostGuard: Type.Boolean({ default: true, description: "Reject the host's own processes that reach IMDS (filter OUTPUT), but the proxy's user bastion-metadataproxy and holders of the group bastion-imds; off only where the host's other processes must share IMDS, and doctor reports it" })
}, strict)

const Log = Type.Object({
  level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level' }),
  auditFile: Type.Optional(Type.String({ description: 'Append credential-issuance audit lines to this file as well as to the log' }))
}, strict)

export const MetadataProxySection = Type.Object({
  imds: Type.Object(Imds.properties, { ...strict, default: {} }),
  admin: Type.Object(Admin.properties, { ...strict, default: {} }),
  credentials: Type.Object(Credentials.properties, { ...strict, default: {} }),
  passthrough: Type.Object(Passthrough.properties, { ...strict, default: {} }),
  docker: Type.Object(Docker.properties, { ...strict, default: {} }),
  iptables: Type.Object(Iptables.properties, { ...strict, default: {} }),
  log: Type.Object(Log.properties, { ...strict, default: {} })
}, { ...strict, default: {} })

export const ConfigSchema = Type.Object({
  aws: AwsSection,
  network: NetworkSection,
  metadataproxy: MetadataProxySection,
  ...foreignSections('aws', 'network', 'metadataproxy')
}, strict)

export type Config = Static<typeof ConfigSchema>
