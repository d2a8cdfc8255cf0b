// Where setup reads the suite from and writes the host's files to. Every destination
// lives under `root`: "/" on a real host, a scratch directory in tests (--root), so that
// a test never touches the host's own /etc. Users, groups, iptables and Docker are not
// files and stay the host's whatever the root.
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setupError } from './errors.ts'

// Fixed by packages/shell/host/install.sh, sshd and sudo; relative to the root.
export const SHELL_BIN = '/usr/local/bin/bastion-shell'
export const SHELL_RUNNER = '/usr/local/libexec/bastion/shell-session'
export const SUDOERS_RULE = '/etc/sudoers.d/bastion-shell'
export const DEFAULT_NODE = '/opt/bastion/node/bin/node'

export interface HostPaths {
  root: string
  // The installed suite (a checkout with packages/*/dist built) and the Node that runs it.
  app: string
  node: string
  // The config file as the services will read it; not relocated by the root.
  config: string
  systemdDir: string
  sshdConfig: string
  sshdDropinDir: string
  sshdDropin: string
  usrLocal: string
  shellBin: string
  runner: string
  sudoersDir: string
  sudoers: string
  shells: string
}

export function hostPaths (opts: { root: string, app: string, node: string, config: string }): HostPaths {
  for (const [flag, value] of [['--root', opts.root], ['--node', opts.node], ['--config', opts.config]] as const) {
    if (!isAbsolute(value)) throw setupError('BASTION_ADMIN_SETUP_USAGE', `${flag} must be an absolute path (got ${JSON.stringify(value)})`)
  }
  const root = resolve(opts.root)
  const under = (p: string): string => join(root, p)
  return {
    root,
    app: opts.app,
    node: opts.node,
    config: resolve(opts.config),
    systemdDir: under('/etc/systemd/system'),
    sshdConfig: under('/etc/ssh/sshd_config'),
    sshdDropinDir: under('/etc/ssh/sshd_config.d'),
    sshdDropin: under('/etc/ssh/sshd_config.d/bastion.conf'),
    usrLocal: under('/usr/local'),
    shellBin: under(SHELL_BIN),
    runner: under(SHELL_RUNNER),
    sudoersDir: under('/etc/sudoers.d'),
    sudoers: under(SUDOERS_RULE),
    shells: under('/etc/shells')
  }
}

// The suite's checkout that this code runs from: the nearest directory above `from`
// holding packages/shell/host/install.sh (src/ in tests, dist/ in production).
export function findAppRoot (from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'packages/shell/host/install.sh')) && existsSync(join(dir, 'packages/admin/package.json'))) return dir
    if (dirname(dir) === dir) {
      throw setupError('BASTION_ADMIN_SETUP_APP_INCOMPLETE', `no bastion checkout (packages/shell/host/install.sh) above ${from}`)
    }
  }
}
