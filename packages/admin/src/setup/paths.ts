// Where setup reads the suite from and writes the host's files to. Every destination
// lives under `root`: "/" on a real host, a scratch directory in tests (--root), so that
// a test never touches the host's own /etc. Users, groups, iptables and Docker are not
// files and stay the host's whatever the root.
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setupError } from './errors.ts'

// Fixed by packages/shell/host/install.sh and sshd; relative to the root.
export const SHELL_BIN = '/usr/local/bin/bastion-shell'
export const LIBEXEC_DIR = '/usr/local/libexec/bastion'
export const DEFAULT_NODE = '/opt/bastion/node/bin/node'

// install.sh's files of one instance (--instance NAME adds -NAME to every name), and
// what the sudo-based login path of earlier versions left, which install.sh removes.
export interface ShellFiles {
  bin: string
  client: string
  agent: string
  broker: string
  legacyRunner: string
  legacySudoers: string
}

export function shellFiles (instance = '', under: (p: string) => string = (p) => p): ShellFiles {
  if (instance !== '' && !/^[a-z][a-z0-9]{0,15}$/.test(instance)) {
    throw setupError('BASTION_ADMIN_SETUP_USAGE', `--instance must be 1-16 lowercase letters and digits, starting with a letter (got ${JSON.stringify(instance)})`)
  }
  const suffix = instance === '' ? '' : `-${instance}`
  return {
    bin: under(`${SHELL_BIN}${suffix}`),
    client: under(`${LIBEXEC_DIR}/bastion-shell-client${suffix}`),
    agent: under(`${LIBEXEC_DIR}/bastion-agent${suffix}`),
    broker: under(`${LIBEXEC_DIR}/shell-broker${suffix}`),
    legacyRunner: under(`${LIBEXEC_DIR}/shell-session${suffix}`),
    legacySudoers: under(`/etc/sudoers.d/bastion-shell${suffix}`)
  }
}

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
  libexecDir: string
  shells: string
  // install.sh --instance: '' for the default copy, the only one setup installs.
  instance: string
  // install.sh's files under the root, and the same as the host names them (the login
  // shell, /etc/shells and the config name these, whatever the root).
  shell: ShellFiles
  installed: ShellFiles
}

export function hostPaths (opts: { root: string, app: string, node: string, config: string, instance?: string | undefined }): HostPaths {
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
    libexecDir: under(LIBEXEC_DIR),
    shells: under('/etc/shells'),
    instance: opts.instance ?? '',
    shell: shellFiles(opts.instance, under),
    installed: shellFiles(opts.instance)
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
