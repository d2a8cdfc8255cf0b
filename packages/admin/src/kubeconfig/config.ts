// The `toolbox.kubeconfig` settings: how `bastion kubeconfig write` builds the kubeconfig
// every personal container mounts. The clusters themselves are the shared top-level
// `clusters` list (@bastion/config), plus those EKS discovery finds.
import { Type, type Static } from '@sinclair/typebox'

const REGION = '^[a-z]{2}(-[a-z]+)+-[0-9]$'

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1beta1', 'client.authentication.k8s.io/v1'] as const

export const KubeconfigSection = Type.Object({
  execApiVersion: Type.Union(EXEC_API_VERSIONS.map((v) => Type.Literal(v)), { default: EXEC_API_VERSIONS[0], description: "API version of the `aws eks get-token` exec plugin: v1beta1 works with any kubectl since 1.11 (both toolbox images), v1 needs kubectl 1.22 or later" }),
  command: Type.String({ default: 'aws', minLength: 1, description: 'The aws CLI as kubectl runs it inside the containers' }),
  currentContext: Type.Optional(Type.String({ minLength: 1, description: 'Context selected until a user picks another; default: the first cluster' })),
  discover: Type.Object({
    regions: Type.Array(Type.String({ pattern: REGION }), { default: [], uniqueItems: true, description: 'Also give a context to every cluster eks:ListClusters finds in these regions' })
  }, { additionalProperties: false, default: {} }),
  eksEndpoint: Type.Optional(Type.String({ pattern: '^https?://', description: "EKS API endpoint for ListClusters and DescribeCluster; default: the region's. Point it at an emulator in tests" })),
  timeoutMs: Type.Integer({ minimum: 1000, maximum: 120000, default: 10000, description: 'Timeout of one EKS API call' })
}, { additionalProperties: false, default: {} })

export type KubeconfigSettings = Static<typeof KubeconfigSection>
