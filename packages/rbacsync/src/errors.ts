// Every error and problem this package reports, with a stable code. docs/rbacsync/errors.md
// lists each code; a test checks that the two agree.

export const codes = {
  BASTION_RBACSYNC_CONFIG_INVALID: 'The configuration file is invalid',
  BASTION_RBACSYNC_CONFIG_UNREADABLE: 'The configuration file cannot be read',
  BASTION_RBACSYNC_READ_FAILED: 'A read of IAM, EKS or a cluster failed; only what it could affect was held back',
  BASTION_RBACSYNC_WRITE_FAILED: 'A write was refused or failed',
  BASTION_RBACSYNC_ROLE_NAME_TOO_LONG: 'A user\'s role name exceeds IAM\'s 64 characters',
  BASTION_RBACSYNC_GROUP_NAME_TOO_LONG: 'A scope\'s group names exceed IAM\'s 128 characters',
  BASTION_RBACSYNC_GROUP_QUOTA: 'The plan would pass the account\'s IAM group quota; no new scope was set up',
  BASTION_RBACSYNC_TOO_MANY_GROUPS: 'A user is in more than the 10 groups IAM allows',
  BASTION_RBACSYNC_FOREIGN_CONFLICT: 'An object we need exists and is not ours',
  BASTION_RBACSYNC_AWS_AUTH_INVALID: 'kube-system/aws-auth cannot be parsed',
  BASTION_RBACSYNC_AWS_AUTH_CONFLICT: 'aws-auth kept changing under us; retries exhausted',
  BASTION_RBACSYNC_STALE_GROUP: 'A group of a scope that no longer exists still has members',
  BASTION_RBACSYNC_NAMESPACE_RECREATED: 'A namespace was deleted and made again while its groups had members; nobody is granted there until they are emptied',
  BASTION_RBACSYNC_CLUSTER_GONE: 'Our groups name a cluster that is neither listed nor discovered; reported, never pruned (see decommission)',
  BASTION_RBACSYNC_DISCOVERY_CONFLICT: 'Discovery found a cluster name in two regions; that cluster is not synced',
  BASTION_RBACSYNC_DECOMMISSION_REFUSED: 'decommission refused: the cluster is still listed or discovered, or discovery could not be read',
  BASTION_RBACSYNC_DECOMMISSION_MEMBERS: 'decommission refused: a group of the cluster still has members',
  BASTION_RBACSYNC_CLUSTER_UNREACHABLE: 'How to reach a cluster\'s API could not be worked out; counts as a failed read',
  BASTION_RBACSYNC_PERSON_NAME_INVALID: 'An Identity Center user name does not map to a valid role and Unix name; that person is skipped',
  BASTION_RBACSYNC_PERSON_NAME_COLLISION: 'Two Identity Center users map to one name; both are skipped'
} as const

export type ErrorCode = keyof typeof codes

export class RbacsyncError extends Error {
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RbacsyncError'
    this.code = code
  }
}

export function isRbacsyncError (err: unknown, code?: ErrorCode): err is RbacsyncError {
  return err instanceof RbacsyncError && (code === undefined || err.code === code)
}

// One line of the run's report. Errors make the run exit non-zero; warnings do not.
export interface Problem {
  code: ErrorCode
  severity: 'error' | 'warning'
  // What it concerns: "iam", a cluster name, a user, a group.
  subject: string
  message: string
}

export function problem (code: ErrorCode, subject: string, message: string, severity: Problem['severity'] = 'error'): Problem {
  return { code, severity, subject, message }
}

// Names of our own errors, whose messages already say what failed.
const SELF_EXPLAINING = new Set(['Error', 'KubeApiError', 'RbacsyncError', 'AwsAuthInvalid'])

// The message of an error from a port, without the stack; an SDK error keeps its name
// (Throttling, AccessDenied...), which is often the most useful part.
export function describeError (err: unknown): string {
  if (err instanceof Error) return !SELF_EXPLAINING.has(err.name) && !err.message.startsWith(err.name) ? `${err.name}: ${err.message}` : err.message
  return String(err)
}
