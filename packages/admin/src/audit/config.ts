// What `bastion audit` reads from /etc/bastion/bastion.yaml: its own `audit` section
// (the kube-apiserver audit logs of each cluster) and, from the shell's and the proxy's
// sections, where their audit trails are and which role a user gets. Those sections
// belong to their components, which validate them; here only the keys read are typed,
// with the same defaults (test/audit/config.test.ts holds them to the owners' schemas).
import { Type, type Static } from '@sinclair/typebox'
import { ConfigProblem, parseConfigText, readConfigFile } from '@bastion/config'
import { AdminError } from '../cli-errors.ts'
import { CloudWatchSection, HostDirs } from './aws-config.ts'
import { ShipSection } from '../ship/config.ts'

const open = { additionalProperties: true, default: {} } as const

export const AuditSection = Type.Object({
  kubeAuditLogs: Type.Record(
    Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$' }),
    Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    { default: {}, additionalProperties: false, description: 'kube-apiserver audit logs (JSON lines) of each cluster, by cluster name; rotated copies next to each are read too' }),
  cloudwatch: CloudWatchSection,
  hostDirs: HostDirs
}, { additionalProperties: false, default: {} })

export const AuditConfigSchema = Type.Object({
  audit: AuditSection,
  // Where `bastion ship` sends this host's logs (the hosts' groups when audit.cloudwatch
  // names none) and uploads its recordings (the S3 links of recordings gone here).
  ship: ShipSection,
  aws: Type.Object({ region: Type.String({ default: 'us-east-1' }) }, open),
  clusters: Type.Array(Type.Object({ name: Type.String(), region: Type.String() }, { additionalProperties: true }), { default: [] }),
  toolbox: Type.Object({ kubeconfig: Type.Object({ discover: Type.Object({ regions: Type.Array(Type.String(), { default: [] }) }, open), eksEndpoint: Type.Optional(Type.String()) }, open) }, open),
  shell: Type.Object({
    roles: Type.Record(Type.String(), Type.String(), { default: {} }),
    audit: Type.Object({
      file: Type.String({ default: '/var/log/bastion/sessions.jsonl' }),
      recordingsDir: Type.String({ default: '/var/log/bastion/recordings' })
    }, open)
  }, open),
  metadataproxy: Type.Object({
    credentials: Type.Object({ rolePrefix: Type.String({ default: 'k8s-access/' }) }, open),
    log: Type.Object({ auditFile: Type.Optional(Type.String()) }, open)
  }, open)
}, { additionalProperties: true })

export type AuditConfig = Static<typeof AuditConfigSchema>

export async function loadAuditConfig (path: string): Promise<Readonly<AuditConfig>> {
  return readConfigFile(AuditConfigSchema, path)
}

// A missing config file at the default path is not an error: every path has a default
// and a flag. A config given explicitly must be readable, and any config must be valid.
export async function readAuditConfig (path: string, explicit: boolean): Promise<{ config: Readonly<AuditConfig>, note?: string }> {
  try {
    return { config: await loadAuditConfig(path) }
  } catch (err) {
    if (err instanceof ConfigProblem && err.unreadable && !explicit) {
      return { config: parseConfigText(AuditConfigSchema, '{}'), note: `no config at ${path}: using the default paths` }
    }
    throw new AdminError('BASTION_ADMIN_AUDIT_CONFIG_INVALID', (err as Error).message, { cause: err })
  }
}

// Where each trail is for one run: the config's answer, overridden by the command line.
export interface Sources {
  sessions: string
  credentials: string | null // null: the proxy writes no audit file (its journal only)
  kube: Array<{ cluster: string, file: string }>
}

export interface SourceFlags {
  sessions?: string
  credentials?: string
  kubeAudit?: string[] // "cluster=path"
}

export function sources (config: Readonly<AuditConfig>, flags: SourceFlags): Sources {
  const kube = flags.kubeAudit !== undefined && flags.kubeAudit.length > 0
    ? flags.kubeAudit.map(parseKubeFlag)
    : Object.entries(config.audit.kubeAuditLogs).flatMap(([cluster, files]) => files.map((file) => ({ cluster, file })))
  return {
    sessions: flags.sessions ?? config.shell.audit.file,
    credentials: flags.credentials ?? config.metadataproxy.log.auditFile ?? null,
    kube
  }
}

// "hyades=/var/log/kube/audit.log"; a bare path counts for a cluster named "cluster".
export function parseKubeFlag (value: string): { cluster: string, file: string } {
  const eq = value.indexOf('=')
  if (eq > 0 && !value.slice(0, eq).includes('/')) return { cluster: value.slice(0, eq), file: value.slice(eq + 1) }
  return { cluster: 'cluster', file: value }
}

// The name of the IAM role the proxy assumes for `user` (the shell's roles map, else
// the user's own name, behind the proxy's rolePrefix, whose path is not part of it).
export function configuredRole (config: Readonly<AuditConfig>, user: string): string {
  // Own entries only, as the shell's roleOf: `constructor` is a user, not a role.
  const roles = config.shell.roles
  const role = `${config.metadataproxy.credentials.rolePrefix}${Object.hasOwn(roles, user) ? roles[user] as string : user}`
  return role.slice(role.lastIndexOf('/') + 1)
}
