// One user's audit timeline: his ssh sessions, the credentials issued to his containers
// and his Kubernetes API calls, merged and sorted by time. Reading never throws on the
// logs' content; what could not be read is in `warnings`.
import { type Sources } from './config.ts'
import { credentialEntries } from './credentials.ts'
import { byTime, type Entry } from './entries.ts'
import { foreignKubeCalls, kubeEntries } from './kube.ts'
import { rotatedSet } from './log-files.ts'
import { awsTrails, distinct, otherHosts, type RemoteSources } from './remote.ts'
import { sessionEntries } from './sessions.ts'
import { inRange, type TimeRange } from './time-range.ts'

export interface TimelineRequest {
  user: string
  sources: Sources
  role: string // the role name the configuration gives the user
  range: TimeRange
  remote?: RemoteSources // other hosts' trails and the trails on AWS
  host?: string // this host's name in the entries (default: its host name); bastion ship's stream name when it ships
}

export interface Timeline {
  user: string
  range: TimeRange
  roles: string[] // role names whose assumed-role ARN (with his login as session) counts as his in the Kubernetes logs
  entries: Entry[]
  warnings: string[]
  readable: number // how many of the trails exist at all
}

export async function buildTimeline (req: TimelineRequest): Promise<Timeline> {
  const warnings: string[] = []
  const sink = { add: (m: string) => { warnings.push(m) } }
  const { user, sources } = req
  let readable = 0
  const exists = async (file: string): Promise<boolean> => {
    const there = !(await rotatedSet(file)).missing
    if (there) readable++
    return there
  }

  await exists(sources.sessions)
  const ssh = await sessionEntries(sources.sessions, user, sink, req.host)

  const creds = sources.credentials === null ? [] : (await exists(sources.credentials), await credentialEntries(sources.credentials, user, sink, req.host))
  if (sources.credentials === null) {
    warnings.push('credentials: metadataproxy.log.auditFile is not set, so issuance is only in the proxy\'s journal; set it, or pass --credentials FILE')
  }

  const hosts = req.remote === undefined ? undefined : await otherHosts(req.remote, sources, user, req.range, sink)
  readable += hosts?.readable ?? 0
  creds.push(...hosts?.credentials ?? [])

  // His roles: the configured one and any the proxy actually issued to him.
  const roles = new Set([req.role, ...creds.map((c) => c.role.slice(c.role.lastIndexOf('/') + 1))])
  const kube: Entry[] = []
  const aws = req.remote === undefined ? undefined : await awsTrails(req.remote, user, roles, req.range, sink)
  readable += aws?.readable ?? 0
  if (sources.kube.length === 0 && (req.remote?.groups.kube.length ?? 0) === 0) {
    warnings.push('kubernetes: no kube-apiserver audit log is configured (audit.kubeAuditLogs), so no Kubernetes calls; or pass --kube-audit CLUSTER=FILE')
  }
  for (const { cluster, file } of sources.kube) {
    await exists(file)
    const result = await kubeEntries(cluster, file, user, roles, sink)
    kube.push(...result.entries)
    for (const { username, principal, count } of result.foreign) {
      warnings.push(foreignKubeCalls(`kubernetes (${cluster})`, username, principal, count))
    }
  }

  const entries = distinct([...ssh, ...hosts?.ssh ?? [], ...creds, ...kube, ...aws?.kube ?? [], ...aws?.aws ?? []]).filter((e) => inRange(e.time, req.range)).sort(byTime)
  return { user, range: req.range, roles: [...roles].sort(), entries, warnings, readable }
}
