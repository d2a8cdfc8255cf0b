// The stable codes `bastion audit` ends with; docs/admin/audit.md explains each.
export const auditCodes = {
  BASTION_ADMIN_AUDIT_BAD_USER: 'the user name is not a valid login name',
  BASTION_ADMIN_AUDIT_BAD_TIME: '--since or --until is neither an ISO 8601 time nor a span such as 12h',
  BASTION_ADMIN_AUDIT_CONFIG_INVALID: 'the config file cannot be read or does not validate',
  BASTION_ADMIN_AUDIT_NO_SOURCE: 'not one of the audit trails could be read',
  BASTION_ADMIN_AUDIT_CLOUDWATCH_DENIED: 'CloudWatch Logs refused FilterLogEvents on a log group: the message names the permission and the group',
  BASTION_ADMIN_AUDIT_BAD_HOST_DIR: '--host-dir is not HOST=DIRECTORY with a host name',
  BASTION_ADMIN_AUDIT_CHAIN_BROKEN: 'bastion audit --verify found a break in the session log\'s hash chain: a line was changed, taken out or put in there',
  BASTION_ADMIN_AUDIT_SHIPPED_MISMATCH: 'bastion audit --verify --shipped HOST found lines in the copy shipped off the host that the local session log does not have (or no copy at all): the local log was changed or cut after they were shipped',
  BASTION_ADMIN_AUDIT_NO_USER: 'neither --user nor --verify was given'
} as const

export type AuditCode = keyof typeof auditCodes
