// The options of the `audit` section for trails that live on AWS (CloudWatch Logs) and
// on other bastion hosts. config.ts puts them into the section's schema; what each
// cluster, host and group resolves to is in log-groups.ts and hosts.ts.
import { Type } from '@sinclair/typebox'

const REGION = { pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$' } as const
// CloudWatch log group names: 1-512 of [.-_/#A-Za-z0-9].
const GROUP = { pattern: '^[.\\-_/#A-Za-z0-9]{1,512}$' } as const
const NAME = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$'

export const KubeLogGroup = Type.Object({
  logGroup: Type.String({ ...GROUP, description: 'The log group the cluster\'s control plane logs go to' }),
  streamPrefix: Type.Optional(Type.String({ minLength: 1, description: 'Prefix of its audit log streams; default kube-apiserver-audit' })),
  region: Type.Optional(Type.String({ ...REGION, description: 'Its region; default: the cluster\'s in the clusters list, else audit.cloudwatch.region' }))
}, { additionalProperties: false })

export const CloudWatchSection = Type.Object({
  kubernetes: Type.Boolean({ default: true, description: 'Read each EKS cluster\'s audit log group (/aws/eks/<cluster>/cluster, streams kube-apiserver-audit*) unless kubeAuditLogs has a file for it: the clusters list and what toolbox.kubeconfig.discover.regions finds' }),
  kubeLogGroups: Type.Record(Type.String({ pattern: NAME }), KubeLogGroup, { default: {}, additionalProperties: false, description: 'A cluster\'s audit log group instead of the default one, by cluster name' }),
  cloudTrail: Type.Optional(Type.Object({
    logGroup: Type.String({ ...GROUP, description: 'The log group a CloudTrail trail delivers to' }),
    region: Type.Optional(Type.String({ ...REGION, description: 'Its region; default audit.cloudwatch.region' }))
  }, { additionalProperties: false, description: 'AWS calls made with the users\' role sessions, from CloudTrail' })),
  sessionsLogGroup: Type.Optional(Type.String({ ...GROUP, description: 'The shell\'s session logs of every host, one stream per host (named after the host)' })),
  credentialsLogGroup: Type.Optional(Type.String({ ...GROUP, description: 'The metadata proxy\'s credential logs of every host, one stream per host' })),
  region: Type.Optional(Type.String({ ...REGION, description: 'Region of cloudTrail and the hosts\' log groups; default aws.region' })),
  endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'CloudWatch Logs endpoint; default: the region\'s. Point it at an emulator in tests' })),
  pageSize: Type.Integer({ minimum: 1, maximum: 10000, default: 10000, description: 'Events per FilterLogEvents page' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 8, description: 'Attempts per FilterLogEvents call, with exponential backoff on throttling and 5xx' }),
  timeoutMs: Type.Integer({ minimum: 1000, maximum: 120000, default: 15000, description: 'Timeout of one CloudWatch Logs or EKS call' })
}, { additionalProperties: false, default: {} })

export const HostDirs = Type.Record(Type.String({ pattern: NAME }), Type.String({ minLength: 1 }), {
  default: {},
  additionalProperties: false,
  description: 'Other bastion hosts\' trails, by host name: a directory holding that host\'s session log and credential log under the file names this host uses'
})
