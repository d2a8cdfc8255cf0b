// What every setup step works with: where things go, the validated config, the users
// to set up, and narrow handles on the host (commands, iptables, Docker, systemd), so
// that unit tests can give a step a fake host.
import type { CommandRunner } from '@bastion/metadataproxy'
import type { HostConfig } from './config.ts'
import type { DockerProbe } from './docker.ts'
import type { Exec } from './exec.ts'
import type { HostPaths } from './paths.ts'

export interface SetupContext {
  paths: HostPaths
  config: HostConfig
  // Unix users who get bastion-shell as their login shell (--user).
  users: readonly string[]
  exec: Exec
  iptables: CommandRunner
  docker: DockerProbe
  // systemd is PID 1 (/run/systemd/system exists): only then are units reloaded.
  systemd: boolean
  // Builds the configured toolbox image when it is missing.
  buildImage: (image: string) => Promise<string[]>
  // Writes the kubeconfig; with dryRun, only says what it would change.
  writeKubeconfig: (opts: { dryRun: boolean }) => Promise<string[]>
  // Steps report here what an earlier step changed (e.g. the sshd drop-in).
  changed: Set<string>
}

// One idempotent piece of the host. plan() says what apply() would change and writes
// nothing; apply() changes only what plan() would report, and returns what it changed.
export interface Step {
  name: StepName
  summary: string
  plan (ctx: SetupContext): Promise<string[]>
  apply (ctx: SetupContext): Promise<string[]>
}

export const STEP_NAMES = ['config', 'units', 'iptables', 'shell', 'sshd', 'users', 'image', 'kubeconfig'] as const
export type StepName = typeof STEP_NAMES[number]
