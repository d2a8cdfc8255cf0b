// The user's Kubernetes API calls from kube-apiserver audit logs (audit.k8s.io/v1 Event
// JSON lines, as --audit-log-format=json writes them and as EKS exports them). In
// Kubernetes he is not his login name but the username rbacsync maps his role to:
// rbacsync names each per-user role like its IAM user and maps it to that same name
// (aws-auth or access entry), so a role's Kubernetes username is the role's name. A call
// is his when user.username is the username of one of his roles AND user.extra.arn,
// which aws-iam-authenticator fills with the caller's assumed-role ARN, names one of his
// roles with his login as the session name (the proxy's RoleSessionName). Calls under
// those usernames from any other principal or session are left out of his timeline and
// reported: someone else is using, or is mapped to, his Kubernetes user.
import { type KubeEntry, isoTime, num, obj, str } from './entries.ts'
import { jsonLines, skippedRecords, type JsonLine, type Warnings } from './log-files.ts'

const ASSUMED_ROLE = /^arn:[a-z-]+:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/
const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']

// The role name in an assumed-role ARN, or undefined for any other kind of ARN.
export function assumedRoleName (arn: string): string | undefined {
  return ASSUMED_ROLE.exec(arn)?.[1]
}

// The Kubernetes username rbacsync maps a per-user role to: the role's own name
// (packages/rbacsync: roleNameFor, and the mapping plan-cluster.ts writes).
export function mappedUsername (role: string): string {
  return role
}

export interface Foreign { username: string, principal: string, count: number }

// The warning for calls under his Kubernetes username by someone else.
export function foreignKubeCalls (what: string, username: string, principal: string, count: number): string {
  return `${what}: ${count} call${count === 1 ? '' : 's'} as Kubernetes user ${username} by another principal (${principal}), left out: check the identity mapping`
}

export interface KubeResult {
  entries: KubeEntry[]
  // Calls under one of his usernames by another principal or session: per username and
  // ARN (or "no extra.arn"), how many.
  foreign: Foreign[]
}

// user: the login name (the session name the proxy gives STS); roles: the names of the
// IAM roles he assumes (the ARN's path is not part of an assumed-role ARN, so names).
// file: a kube-apiserver audit log on this host, or the lines read from elsewhere
// (CloudWatch Logs).
export async function kubeEntries (cluster: string, file: string | AsyncIterable<JsonLine>, user: string, roles: ReadonlySet<string>, warnings: Warnings): Promise<KubeResult> {
  const byAuditId = new Map<string, { stage: number, entry: KubeEntry }>()
  const usernames = new Set([...roles].map(mappedUsername))
  const foreign = new Map<string, Foreign>()
  const foreignIds = new Set<string>()
  const malformed = skippedRecords(warnings, `kubernetes (${cluster})`, user, 'an audit event')
  for await (const { file: f, line, value } of typeof file === 'string' ? jsonLines(file, [...usernames], warnings, `kubernetes (${cluster})`) : file) {
    const v = obj(value)
    const u = obj(v?.user)
    const username = str(u?.username)
    if (v === undefined || username === undefined || !usernames.has(username)) continue
    const auditId = str(v.auditID)
    const time = isoTime(v.requestReceivedTimestamp ?? v.stageTimestamp)
    const verb = str(v.verb)
    if (auditId === undefined || time === undefined || verb === undefined) {
      malformed.add(f, line)
      continue
    }
    const extra = obj(u?.extra)
    const arn = Array.isArray(extra?.arn) ? str(extra.arn[0]) : undefined
    const assumed = arn === undefined ? null : ASSUMED_ROLE.exec(arn)
    if (arn === undefined || assumed === null || !roles.has(assumed[1] as string) || assumed[2] !== user) {
      if (!foreignIds.has(auditId)) {
        foreignIds.add(auditId)
        const principal = arn ?? 'no extra.arn'
        const key = `${username}\n${principal}`
        const f = foreign.get(key) ?? { username, principal, count: 0 }
        f.count++
        foreign.set(key, f)
      }
      continue
    }
    const stage = STAGES.indexOf(str(v.stage) ?? '')
    const known = byAuditId.get(auditId)
    if (known !== undefined && known.stage >= stage) continue
    const ref = obj(v.objectRef)
    const status = obj(v.responseStatus)
    const annotations = obj(v.annotations)
    const key = Array.isArray(extra?.accessKeyId) ? str(extra.accessKeyId[0]) : undefined
    const resource = str(ref?.resource)
    const sub = str(ref?.subresource)
    const group = str(ref?.apiGroup)
    byAuditId.set(auditId, {
      stage,
      entry: {
        kind: 'kubernetes',
        time,
        origin: { file: f, line },
        cluster,
        auditId,
        verb,
        resource: resource === undefined ? null : `${resource}${sub !== undefined ? `/${sub}` : ''}${group !== undefined && group !== '' ? `.${group}` : ''}`,
        namespace: str(ref?.namespace) ?? null,
        name: str(ref?.name) ?? null,
        requestUri: str(v.requestURI) ?? '',
        code: num(status?.code) ?? null,
        decision: str(annotations?.['authorization.k8s.io/decision']) ?? null,
        arn,
        accessKeyIdSuffix: key === undefined ? null : key.slice(-4),
        sourceIps: Array.isArray(v.sourceIPs) ? v.sourceIPs.filter((s): s is string => typeof s === 'string') : [],
        userAgent: str(v.userAgent) ?? null
      }
    })
  }
  malformed.report()
  return { entries: [...byAuditId.values()].map((e) => e.entry), foreign: [...foreign.values()] }
}
