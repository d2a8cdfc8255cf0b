// Fixture audit logs for the `bastion audit` unit tests: lines shaped exactly as the
// shell, the metadata proxy and kube-apiserver (with aws-iam-authenticator) write them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

export const ACCOUNT = '123456789012'

export function tempDir (t: { teardown (fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-audit-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function writeLines (path: string, lines: Array<object | string>, gzip = false): string {
  const text = lines.map((l) => typeof l === 'string' ? l : JSON.stringify(l)).join('\n') + '\n'
  writeFileSync(path, gzip ? gzipSync(text) : text)
  return path
}

export function sessionStart (user: string, session: string, time: string, extra: Record<string, unknown> = {}): object {
  return {
    event: 'session-start',
    time,
    session,
    user,
    uid: 1001,
    source: { ip: '127.0.0.1', port: 40000 },
    container: `shell-${user}-0123456789`,
    command: null,
    tty: true,
    recording: `/var/log/bastion/recordings/${user}/${time.replace(/[:.]/g, '-')}-${session}.cast`,
    ...extra
  }
}

export function sessionEnd (user: string, session: string, time: string, extra: Record<string, unknown> = {}): object {
  return { ...sessionStart(user, session, time), event: 'session-end', exitCode: 0, durationMs: 5000, reason: 'exited', ...extra }
}

export function issued (user: string, time: string, keySuffix: string, role = user): object {
  return {
    level: 30,
    time: Date.parse(time),
    component: 'metadataproxy',
    part: 'audit',
    audit: 'credential-issued',
    user,
    container: `shell-${user}-0123456789`,
    containerId: 'abcdef012345',
    ip: '10.250.0.2',
    role: `arn:aws:iam::${ACCOUNT}:role/k8s-access/${role}`,
    accessKeyIdSuffix: keySuffix,
    expiration: '2026-11-26T22:00:00Z',
    msg: 'credentials issued'
  }
}

export interface KubeEventOptions {
  stage?: string
  verb?: string
  resource?: string
  namespace?: string
  name?: string
  code?: number
  decision?: string
  role?: string
  session?: string // the assumed role's session name; default: the username
  arn?: string | null
  accessKeyId?: string
  requestObject?: unknown
}

export function kubeEvent (user: string, auditId: string, time: string, o: KubeEventOptions = {}): object {
  const arn = o.arn === undefined ? `arn:aws:sts::${ACCOUNT}:assumed-role/${o.role ?? user}/${o.session ?? user}` : o.arn
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: o.requestObject !== undefined ? 'RequestResponse' : 'Metadata',
    auditID: auditId,
    stage: o.stage ?? 'ResponseComplete',
    requestURI: `/api/v1/${o.namespace !== undefined ? `namespaces/${o.namespace}/` : ''}${o.resource ?? 'pods'}`,
    verb: o.verb ?? 'list',
    user: {
      username: user,
      uid: `aws-iam-authenticator:${ACCOUNT}:AROAEXAMPLE`,
      groups: ['system:authenticated'],
      extra: {
        ...(arn !== null ? { arn: [arn] } : {}),
        accessKeyId: [o.accessKeyId ?? 'ASIAEXAMPLEKEY0WFQW'],
        sessionName: [o.session ?? user]
      }
    },
    sourceIPs: ['10.250.0.2'],
    userAgent: 'kubectl/v1.33.13 (linux/amd64) kubernetes/0000000',
    objectRef: { resource: o.resource ?? 'pods', ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), ...(o.name !== undefined ? { name: o.name } : {}), apiVersion: 'v1' },
    ...(o.stage === 'RequestReceived' ? {} : { responseStatus: { metadata: {}, code: o.code ?? 200 } }),
    ...(o.requestObject !== undefined ? { requestObject: o.requestObject } : {}),
    requestReceivedTimestamp: time,
    stageTimestamp: time,
    annotations: { 'authorization.k8s.io/decision': o.decision ?? 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed' }
  }
}

// A warnings sink that keeps what it is given.
export function collect (): { add (m: string): void, all: string[] } {
  const all: string[] = []
  return { add: (m) => { all.push(m) }, all }
}
