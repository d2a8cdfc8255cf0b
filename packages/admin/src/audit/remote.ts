// The trails that are not this host's files: other bastion hosts' session and credential
// logs (a directory per host, or one CloudWatch Logs group per kind with a stream per
// host) and the trails on AWS (each cluster's EKS audit log group, CloudTrail's group).
// timeline.ts merges what these return with the local trails.
import { basename, join } from 'node:path'
import { type AwsEntry, type CredentialEntry, type Entry, type KubeEntry, type SshEntry } from './entries.ts'
import { awsEntries, cloudTrailPattern } from './cloudtrail.ts'
import { credentialEntries } from './credentials.ts'
import { foreignKubeCalls, kubeEntries, mappedUsername } from './kube.ts'
import { rotatedSet, type Warnings } from './log-files.ts'
import { groupLines, quoted, type GroupQuery, type ReadDeps } from './log-group.ts'
import type { CloudGroups } from './log-groups.ts'
import { sessionEntries } from './sessions.ts'
import type { TimeRange } from './time-range.ts'

export interface RemoteSources {
  hostDirs: Array<{ host: string, dir: string }>
  groups: CloudGroups
  cloudwatch: ReadDeps | null // null: no CloudWatch source at all
}

// CloudWatch timestamps are when an event was logged or shipped, a little after the time
// in the record; the window is widened by this much, and the records' own times decide.
const WINDOW_SLACK_MS = 3_600_000

function window (range: TimeRange): Pick<GroupQuery, 'startTime' | 'endTime'> {
  return {
    ...(range.since !== undefined ? { startTime: Date.parse(range.since) - WINDOW_SLACK_MS } : {}),
    ...(range.until !== undefined ? { endTime: Date.parse(range.until) + WINDOW_SLACK_MS } : {})
  }
}

export interface HostTrails {
  ssh: SshEntry[]
  credentials: CredentialEntry[]
  readable: number
}

// localFiles: this host's session and credential log paths; other hosts' directories
// hold theirs under the same file names.
export async function otherHosts (remote: RemoteSources, localFiles: { sessions: string, credentials: string | null }, user: string, range: TimeRange, warnings: Warnings): Promise<HostTrails> {
  const out: HostTrails = { ssh: [], credentials: [], readable: 0 }
  for (const { host, dir } of remote.hostDirs) {
    const sessions = join(dir, basename(localFiles.sessions))
    if (!(await rotatedSet(sessions)).missing) out.readable++
    out.ssh.push(...await sessionEntries(sessions, user, warnings, host))
    if (localFiles.credentials === null) continue
    const credentials = join(dir, basename(localFiles.credentials))
    if (!(await rotatedSet(credentials)).missing) out.readable++
    out.credentials.push(...await credentialEntries(credentials, user, warnings, host))
  }
  const cw = remote.cloudwatch
  if (cw === null) return out
  const pattern = `{ $.user = ${quoted(user)} }`
  for (const [kind, g] of [['sessions', remote.groups.sessions], ['credentials', remote.groups.credentials]] as const) {
    if (g === null) continue
    const state = { found: false }
    const lines = groupLines(cw, { region: g.region, logGroupName: g.logGroup, filterPattern: pattern, ...window(range) }, user, warnings, kind === 'sessions' ? 'ssh sessions' : 'credentials', state)
    if (kind === 'sessions') out.ssh.push(...await sessionEntries(lines, user, warnings))
    else out.credentials.push(...await credentialEntries(lines, user, warnings))
    if (state.found) out.readable++
  }
  return out
}

export interface AwsTrails {
  kube: KubeEntry[]
  aws: AwsEntry[]
  readable: number
}

// roles: the role names that are his (the configured one and those issued to him).
export async function awsTrails (remote: RemoteSources, user: string, roles: ReadonlySet<string>, range: TimeRange, warnings: Warnings): Promise<AwsTrails> {
  const out: AwsTrails = { kube: [], aws: [], readable: 0 }
  const cw = remote.cloudwatch
  if (cw === null) return out
  for (const g of remote.groups.kube) {
    const state = { found: false }
    const what = `kubernetes (${g.cluster})`
    // In Kubernetes he is the usernames his roles are mapped to (kube.ts), not his login.
    const usernames = [...new Set([...roles].map(mappedUsername))].sort()
    if (usernames.length === 0) continue
    const pattern = `{ ${usernames.map((u) => `$.user.username = ${quoted(u)}`).join(' || ')} }`
    const lines = groupLines(cw, { region: g.region, logGroupName: g.logGroup, logStreamNamePrefix: g.streamPrefix, filterPattern: pattern, ...window(range) }, usernames, warnings, what, state)
    const result = await kubeEntries(g.cluster, lines, user, roles, warnings)
    if (state.found) out.readable++
    out.kube.push(...result.entries)
    for (const { username, principal, count } of result.foreign) {
      warnings.add(foreignKubeCalls(what, username, principal, count))
    }
  }
  const trail = remote.groups.cloudTrail
  if (trail !== null) {
    const state = { found: false }
    const lines = groupLines(cw, { region: trail.region, logGroupName: trail.logGroup, filterPattern: cloudTrailPattern(user), ...window(range) }, user, warnings, 'aws (CloudTrail)', state)
    const result = await awsEntries(lines, user, roles, warnings)
    if (state.found) out.readable++
    out.aws.push(...result.entries)
    for (const [arn, count] of result.foreign) {
      warnings.add(`aws (CloudTrail): ${count} call${count === 1 ? '' : 's'} by a role session named ${user} under a role that is not his (${arn}), left out`)
    }
  }
  return out
}

// One entry per event, however many sources held it (a host's log read from its
// directory and from CloudWatch, at-least-once shipping): the first one read is kept.
export function identity (e: Entry): string {
  switch (e.kind) {
    case 'ssh': return `ssh/${e.host}/${e.session}/${e.event}`
    case 'credentials': return `credentials/${e.host}/${e.time}/${e.container}/${e.accessKeyIdSuffix}`
    case 'kubernetes': return `kubernetes/${e.cluster}/${e.auditId}`
    case 'aws': return `aws/${e.eventId}`
  }
}

export function distinct (entries: Entry[]): Entry[] {
  const seen = new Set<string>()
  return entries.filter((e) => {
    const id = identity(e)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}
