// The schema of /etc/bastion/bastion.yaml as far as rbacsync reads it: the shared `aws`
// and `clusters` sections and its own `rbacsync` section. Other components' sections
// are accepted as objects and validated by their owners. Every option carries a
// one-line description; etc/bastion.example.yaml repeats them.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { AwsSection, ClustersSection, foreignSections } from '@bastion/config'

const strict = { additionalProperties: false } as const
const section = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { ...strict, default: {} })
const NAMESPACE_GLOB = Type.String({ pattern: '^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$' })

const Iam = section({
  path: Type.String({ default: '/k8s-access/', pattern: '^/([\\x21-\\x7E]+/)?$', maxLength: 512, description: 'IAM path of the groups and per-user roles rbacsync owns; put nothing else there' }),
  trustedPrincipalArns: Type.Array(Type.String({ pattern: '^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:' }), { minItems: 1, uniqueItems: true, description: 'Principals the per-user roles trust (the bastion\'s instance role)' }),
  maxSessionDurationSeconds: Type.Integer({ minimum: 3600, maximum: 3600, default: 3600, description: 'MaxSessionDuration of each per-user role: 3600, since the bastion reaches the role by role chaining, which AWS caps at one hour' }),
  pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Items per IAM list page (MaxItems)' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 8, description: 'Attempts per AWS call, with adaptive backoff on throttling' }),
  timeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 15000, description: 'Timeout of one AWS request' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 8, description: 'AWS and Kubernetes calls in flight at once' })
})

// Where people and groups come from when the source is identity-center; `bastion
// users sync` reads the same keys in its users.identityCenter.
export const IdentityCenterSection = section({
  identityStoreId: Type.Optional(Type.String({ pattern: '^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$', description: 'The identity store of IAM Identity Center (d-xxxxxxxxxx, in the Identity Center console\'s settings)' })),
  region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', description: 'Identity Center\'s home region; default: aws.region' })),
  endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'Identity Store endpoint; default: the region\'s. Point it at an emulator in tests' }))
})

const Endpoints = section({
  iam: Type.Optional(Type.String({ pattern: '^https?://', description: 'IAM endpoint; default: the partition\'s. Point it at an emulator in tests' })),
  eks: Type.Optional(Type.String({ pattern: '^https?://', description: 'EKS endpoint; default: the region\'s' }))
})

const Kubernetes = section({
  pageSize: Type.Integer({ minimum: 1, maximum: 5000, default: 500, description: 'Items per Kubernetes list page (limit/continue)' }),
  timeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 15000, description: 'Timeout of one Kubernetes API request' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'Attempts per Kubernetes request on 429 (and, for reads, 5xx)' }),
  conflictRetries: Type.Integer({ minimum: 0, maximum: 20, default: 5, description: 'Times an aws-auth write is re-read and retried after a concurrent edit' })
})

const ClusterSync = Type.Object({
  identityMapping: Type.Union([Type.Literal('aws-auth'), Type.Literal('access-entries')], { default: 'aws-auth', description: 'How IAM roles map to Kubernetes users: the aws-auth ConfigMap or EKS access entries' }),
  kubeconfig: Type.Optional(Type.String({ minLength: 1, description: 'Reach the API through this kubeconfig instead of eks:DescribeCluster and an IAM token' })),
  context: Type.Optional(Type.String({ minLength: 1, description: 'Context of that kubeconfig; default: its current context' })),
  includeNamespaces: Type.Array(NAMESPACE_GLOB, { default: ['*'], description: 'Namespaces that get the three tiers (* is a wildcard)' }),
  excludeNamespaces: Type.Array(NAMESPACE_GLOB, { default: ['kube-system', 'kube-public', 'kube-node-lease'], description: 'Namespaces that never do, even when included' })
}, { ...strict, default: {} })

const Discover = section({
  regions: Type.Array(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$' }), { default: [], uniqueItems: true, description: 'Regions whose EKS clusters (eks:ListClusters) are synced beside the listed ones, read at every run' })
})

const Log = section({
  level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level' })
})

export const RbacsyncSection = section({
  source: Type.Union([Type.Literal('iam'), Type.Literal('identity-center')], { default: 'iam', description: 'Where people and access groups come from: iam (IAM groups under iam.path, their IAM users) or identity-center (the identity store\'s groups, identityCenter)' }),
  identityCenter: IdentityCenterSection,
  iam: Iam,
  endpoints: Endpoints,
  kubernetes: Kubernetes,
  discover: Discover,
  clusters: Type.Record(Type.String(), ClusterSync, { default: {}, description: 'Per cluster (listed, or discovered when discover.regions is set): how to sync it; a cluster not named here gets the defaults' }),
  log: Log
})

export const RbacsyncConfigSchema = Type.Object({
  aws: AwsSection,
  clusters: ClustersSection,
  rbacsync: RbacsyncSection,
  ...foreignSections('aws', 'clusters', 'rbacsync')
}, strict)

export type RbacsyncConfig = Static<typeof RbacsyncConfigSchema>
export type ClusterSyncSettings = Static<typeof ClusterSync>

// The settings of a cluster the rbacsync section does not mention: every default.
export function defaultClusterSettings (): ClusterSyncSettings {
  return Value.Default(ClusterSync, {}) as ClusterSyncSettings
}
