// The kinds of event a user's timeline holds, as `bastion audit` prints them (text) and
// emits them (--json). Each carries the time, the source file and line it came from
// (for a CloudWatch Logs event, cloudwatch:<region>:<group>:<stream> and its place
// among the events read from that stream), and nothing secret: access keys appear as
// their last four characters.

export interface Origin {
  file: string
  line: number
}

// A session's start or end, from the login shell's session log.
export interface SshEntry {
  kind: 'ssh'
  time: string
  origin: Origin
  host: string // the bastion host whose log it is
  event: 'start' | 'end'
  session: string
  source: string | null // "ip:port" the ssh client came from
  container: string
  command: string | null // null: an interactive login
  tty: boolean
  recording: string | null // the session's asciicast file (none for a file transfer)
  recordingUrl?: string // s3://... once the local file is gone and bastion ship uploads recordings
  exitCode?: number
  durationMs?: number
  reason?: string // an end's: why the session ended (exited, idle, ...)
  statedReason?: string // the person's own reason for the session (shell.reason), on both lines
}

// Credentials the metadata proxy handed to one of the user's containers.
export interface CredentialEntry {
  kind: 'credentials'
  time: string
  origin: Origin
  host: string
  role: string
  container: string
  containerId: string
  ip: string
  accessKeyIdSuffix: string
  expiration: string
}

// One Kubernetes API request, from a cluster's kube-apiserver audit log.
export interface KubeEntry {
  kind: 'kubernetes'
  time: string
  origin: Origin
  cluster: string
  auditId: string
  verb: string
  resource: string | null // resource[/subresource][.group]; null for a non-resource URL
  namespace: string | null
  name: string | null
  requestUri: string
  code: number | null
  decision: string | null // the authorizer's allow / forbid
  arn: string // the assumed-role ARN aws-iam-authenticator put into user.extra.arn
  accessKeyIdSuffix: string | null
  sourceIps: string[]
  userAgent: string | null
}

// One AWS API call made with one of the user's role sessions, from CloudTrail.
export interface AwsEntry {
  kind: 'aws'
  time: string
  origin: Origin
  eventId: string
  eventName: string
  service: string // eventSource: s3.amazonaws.com
  region: string
  errorCode: string | null
  arn: string // userIdentity.arn: the assumed-role session
  sourceIdentity: string | null
  accessKeyIdSuffix: string | null
  sourceIp: string | null
}

export type Entry = SshEntry | CredentialEntry | KubeEntry | AwsEntry

export const byTime = (a: Entry, b: Entry): number => a.time < b.time ? -1 : a.time > b.time ? 1 : 0

// Strings from a parsed JSON line, checked: undefined when absent or of another type.
export const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
export const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isFinite(v) ? v : undefined
export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined

// An ISO 8601 time in UTC with milliseconds, or undefined for anything that is not a time.
export function isoTime (v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined
  const ms = typeof v === 'number' ? v : Date.parse(v)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}
