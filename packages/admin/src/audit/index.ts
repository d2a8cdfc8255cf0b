// `bastion audit`: one user's timeline from the three audit trails.
export { auditCodes, type AuditCode } from './errors.ts'
export { AuditConfigSchema, AuditSection, configuredRole, loadAuditConfig, parseKubeFlag, sources, type AuditConfig, type SourceFlags, type Sources } from './config.ts'
export { buildTimeline, type Timeline, type TimelineRequest } from './timeline.ts'
export { renderJson, renderText, safe } from './render.ts'
export { parseTimeArg, type TimeRange } from './time-range.ts'
export type { AwsEntry, CredentialEntry, Entry, KubeEntry, SshEntry } from './entries.ts'
