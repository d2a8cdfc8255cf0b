// What a doctor check is and what it answers: fine (with what it saw), one or more
// problems each with the fix, warnings (the host works but is weaker than it should be:
// reported with the fix, not counted as problems), or skipped because an earlier
// finding makes it moot.
import type { CommandRunner } from '@bastion/metadataproxy'
import type { HostConfig } from '../setup/config.ts'
import type { DockerProbe } from '../setup/docker.ts'
import type { Exec } from '../setup/exec.ts'
import type { HostPaths } from '../setup/paths.ts'
import type { EksApi } from '../kubeconfig/eks.ts'
import type { Probe } from './probe.ts'
import type { Ec2Api } from './ec2.ts'

export interface Problem { problem: string, fix: string }

export type Finding =
  | { status: 'ok', detail: string }
  | { status: 'problems', problems: Problem[] }
  | { status: 'warnings', warnings: Problem[] }
  | { status: 'skipped', detail: string }

export interface DoctorContext {
  config: HostConfig
  paths: HostPaths
  // The sshd_config whose effective settings are checked (default: the root's).
  sshdConfig: string
  exec: Exec
  iptables: CommandRunner
  // One probe per Docker socket the config names (the shell's and the proxy's).
  docker: (socketPath: string) => DockerProbe
  probe: Probe
  // EKS, for clusters listed without endpoint and CA, and for discovery.
  eks: EksApi
  // EC2, for this instance's metadata options, and this instance's id (undefined off EC2).
  ec2: Ec2Api
  ec2InstanceId?: string | undefined
  // Whether Docker answered, for the checks that need it; filled in by the docker check.
  dockerUp?: boolean
}

export interface Check {
  name: string
  summary: string
  run (ctx: DoctorContext): Promise<Finding>
}

export const ok = (detail: string): Finding => ({ status: 'ok', detail })
export const problems = (list: Problem[]): Finding => ({ status: 'problems', problems: list })
export const warnings = (list: Problem[]): Finding => ({ status: 'warnings', warnings: list })
export const skipped = (detail: string): Finding => ({ status: 'skipped', detail })
