// What the command hands the timeline beyond this host's files: the other hosts'
// directories (--host-dir or audit.hostDirs), the CloudWatch Logs groups the config
// names or implies, and the reader for them (the real AWS clients, the progress line).
import { AdminError } from '../cli-errors.ts'
import { awsEks, type EksApi } from '../kubeconfig/eks.ts'
import type { AuditConfig } from './config.ts'
import type { Warnings } from './log-files.ts'
import { awsLogs, type LogsApi } from './logs-api.ts'
import type { PageProgress } from './log-group.ts'
import { cloudGroups } from './log-groups.ts'
import type { RemoteSources } from './remote.ts'

const HOST = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/

// "bastion-b=/srv/trails/bastion-b"
export function parseHostDir (value: string): { host: string, dir: string } {
  const eq = value.indexOf('=')
  const host = value.slice(0, Math.max(eq, 0))
  if (eq <= 0 || !HOST.test(host) || eq === value.length - 1) {
    throw new AdminError('BASTION_ADMIN_AUDIT_BAD_HOST_DIR', `--host-dir ${JSON.stringify(value)}: give HOST=DIRECTORY, e.g. bastion-b=/srv/trails/bastion-b`)
  }
  return { host, dir: value.slice(eq + 1) }
}

export interface RemoteFlags {
  kubeFromFlags: boolean
  hostDirs?: string[]
}

export interface RemoteDeps {
  logs?: LogsApi
  eks?: EksApi
}

export async function remoteSources (config: Readonly<AuditConfig>, flags: RemoteFlags, warnings: Warnings, progress: PageProgress, deps: RemoteDeps = {}): Promise<RemoteSources> {
  const hostDirs = flags.hostDirs !== undefined && flags.hostDirs.length > 0
    ? flags.hostDirs.map(parseHostDir)
    : Object.entries(config.audit.hostDirs).map(([host, dir]) => ({ host, dir }))
  const cw = config.audit.cloudwatch
  const kubeconfig = config.toolbox.kubeconfig
  const eks = deps.eks ?? (kubeconfig.discover.regions.length > 0 ? awsEks({ endpoint: kubeconfig.eksEndpoint, timeoutMs: cw.timeoutMs }) : null)
  const groups = await cloudGroups(config, eks, flags.kubeFromFlags, warnings)
  const any = groups.kube.length > 0 || groups.cloudTrail !== null || groups.sessions !== null || groups.credentials !== null
  return {
    hostDirs,
    groups,
    cloudwatch: any
      ? { api: deps.logs ?? awsLogs({ endpoint: cw.endpoint, timeoutMs: cw.timeoutMs }), settings: { pageSize: cw.pageSize, maxAttempts: cw.maxAttempts, timeoutMs: cw.timeoutMs }, progress }
      : null
  }
}
