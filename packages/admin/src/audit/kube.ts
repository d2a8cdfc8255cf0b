// The user's Kubernetes API calls from kube-apiserver audit logs (audit.k8s.io/v1 Event
// JSON lines, as --audit-log-format=json writes them and as EKS exports them). A call
// is his when user.username is his name AND user.extra.arn, which aws-iam-authenticator
// fills with the caller's assumed-role ARN, names one of his roles. Calls under his
// name from any other principal are left out of his timeline and reported, because
// they mean someone else is mapped to his Kubernetes user.
import { type KubeEntry, isoTime, num, obj, str } from './entries.ts'
import { jsonLines, skippedRecords, type JsonLine, type Warnings } from './log-files.ts'

const ASSUMED_ROLE = /^arn:[a-z-]+:sts::\d{12}:assumed-role\/([^/]+)\/.+$/
const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']

// The role name in an assumed-role ARN, or undefined for any other kind of ARN.
export function assumedRoleName (arn: string): string | undefined {
  return ASSUMED_ROLE.exec(arn)?.[1]
}

export interface KubeResult {
  entries: KubeEntry[]
  // Calls under the user's name by another principal: ARN (or "no ARN") -> count.
  foreign: Map<string, number>
}

// roles: the names of the IAM roles the user assumes (the ARN's path is not part of an
// assumed-role ARN, so names, not ARNs).
export async function kubeEntries (cluster: string, file: string | AsyncIterable<JsonLine>, user: string, roles: ReadonlySet<string>, warnings: Warnings): Promise<KubeResult> {
  const byAuditId = new Map<string, { stage: number, entry: KubeEntry }>()
  const foreign = new Map<string, number>()
  const foreignIds = new Set<string>()
  const malformed = skippedRecords(warnings, `kubernetes (${cluster})`, user, 'an audit event')
  for await (const { file: f, line, value } of typeof file === 'string' ? jsonLines(file, user, warnings, `kubernetes (${cluster})`) : file) {
    const v = obj(value)
    const u = obj(v?.user)
    if (v === undefined || u === undefined || u.username !== user) continue
    const auditId = str(v.auditID)
    const time = isoTime(v.requestReceivedTimestamp ?? v.stageTimestamp)
    const verb = str(v.verb)
    if (auditId === undefined || time === undefined || verb === undefined) {
      malformed.add(f, line)
      continue
    }
    const extra = obj(u.extra)
    const arn = Array.isArray(extra?.arn) ? str(extra.arn[0]) : undefined
    const role = arn === undefined ? undefined : assumedRoleName(arn)
    if (arn === undefined || role === undefined || !roles.has(role)) {
      if (!foreignIds.has(auditId)) {
        foreignIds.add(auditId)
        const who = arn ?? 'no extra.arn'
        foreign.set(who, (foreign.get(who) ?? 0) + 1)
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
  return { entries: [...byAuditId.values()].map((e) => e.entry), foreign }
}
