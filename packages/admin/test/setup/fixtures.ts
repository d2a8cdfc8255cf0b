// Fakes for the setup and doctor unit tests: a host whose commands answer from memory
// (getent, groupadd, gpasswd, usermod; sshd, install.sh and systemctl through handlers), a small
// iptables kernel, a Docker probe, and a SetupContext over a scratch directory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { CommandRunner, NetworkFacts } from '@bastion/metadataproxy'
import { parseHostConfig, type HostConfig } from '../../src/setup/config.ts'
import type { DockerProbe } from '../../src/setup/docker.ts'
import type { Exec, RunResult } from '../../src/setup/exec.ts'
import { hostPaths, type HostPaths } from '../../src/setup/paths.ts'
import { parseSettings } from '../../src/setup/sshd.ts'
import type { SetupContext } from '../../src/setup/context.ts'

export const APP = resolve(import.meta.dirname, '../../../..')

// The shipped sshd drop-in, and what `sshd -T` prints when it applies every setting of it
// (lower-case keywords, AcceptEnv once per value), for fakes of sshd.
export const DROPIN = readFileSync(join(APP, 'packages/shell/sshd/bastion.conf'), 'utf8')
export const APPLIED_DROPIN = [...parseSettings(DROPIN)].flatMap(([k, values]) => values.map((v) => `${k} ${v}\n`)).join('')

interface Teardown { teardown (fn: () => unknown): void }

export function scratchDir (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'bt-admin-unit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const CONFIG_TEXT = `
aws: { accountId: "123456789012" }
network: { name: bt-unit, bridge: btunit0, subnet: 10.254.1.0/24 }
metadataproxy: { iptables: { chainPrefix: BT-UNIT } }
shell: { image: "bastion/toolbox:unit", allowedGroup: bt-unit-users }
`

export function hostConfig (text = CONFIG_TEXT, path = '/etc/bastion/bastion.yaml'): HostConfig {
  return parseHostConfig(text, path)
}

export interface FakeAccount { name: string, uid: number, gid: number, shell: string }
export interface FakeGroup { name: string, gid: number, members: string[] }

// Commands answered from memory; `handlers` answer anything else (argv[0] first).
export class FakeHost implements Exec {
  calls: string[][] = []
  accounts = new Map<string, FakeAccount>()
  groups = new Map<string, FakeGroup>()
  handlers: Array<(cmd: string, args: readonly string[]) => RunResult | undefined> = []

  user (name: string, shell = '/bin/bash', gid = 1000 + this.accounts.size): this {
    this.accounts.set(name, { name, uid: 1000 + this.accounts.size, gid, shell })
    return this
  }

  group (name: string, gid: number, members: string[] = []): this {
    this.groups.set(name, { name, gid, members })
    return this
  }

  async run (cmd: string, args: readonly string[]): Promise<RunResult> {
    this.calls.push([cmd, ...args])
    for (const h of this.handlers) {
      const r = h(cmd, args)
      if (r !== undefined) return r
    }
    const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' })
    const [a, b] = args
    switch (cmd) {
      case 'getent': {
        if (a === 'passwd' && b === undefined) return ok([...this.accounts.values()].map((u) => `${u.name}:x:${u.uid}:${u.gid}::/home/${u.name}:${u.shell}`).join('\n'))
        if (a === 'passwd') {
          const u = this.accounts.get(b as string)
          return u === undefined ? { exitCode: 2, stdout: '', stderr: '' } : ok(`${u.name}:x:${u.uid}:${u.gid}::/home/${u.name}:${u.shell}\n`)
        }
        const g = this.groups.get(b as string)
        return g === undefined ? { exitCode: 2, stdout: '', stderr: '' } : ok(`${g.name}:x:${g.gid}:${g.members.join(',')}\n`)
      }
      case 'groupadd': {
        const name = args[args.length - 1] as string
        this.groups.set(name, { name, gid: 2000 + this.groups.size, members: [] })
        return ok()
      }
      case 'useradd': {
        // --system --user-group ... NAME: an account with its own group.
        const name = args[args.length - 1] as string
        const gid = 2000 + this.groups.size
        this.groups.set(name, { name, gid, members: [] })
        this.accounts.set(name, { name, uid: 900 + this.accounts.size, gid, shell: args[args.indexOf('--shell') + 1] ?? '/bin/sh' })
        return ok()
      }
      case 'install':
      case 'chown':
        return ok()
      case 'gpasswd': {
        const g = this.groups.get(args[2] as string)
        if (g === undefined) return { exitCode: 3, stdout: '', stderr: `gpasswd: group '${args[2]}' does not exist` }
        g.members = a === '-a' ? [...g.members, b as string] : g.members.filter((m) => m !== b)
        return ok()
      }
      case 'usermod': {
        const u = this.accounts.get(args[2] as string)
        if (u !== undefined) u.shell = b as string
        return ok()
      }
      default:
        return { exitCode: 127, stdout: '', stderr: `fake host: no ${cmd}` }
    }
  }
}

// The chains and rules of a kernel, enough for the proxy's install/check.
export function fakeIptables (): CommandRunner & { rules: Set<string>, chains: Set<string>, calls: string[][] } {
  const chains = new Set(['nat PREROUTING', 'filter INPUT', 'filter FORWARD', 'filter OUTPUT', 'filter6 INPUT', 'filter6 FORWARD', 'filter6 OUTPUT'])
  const rules = new Set<string>()
  const calls: string[][] = []
  return {
    chains,
    rules,
    calls,
    async run (cmd, argv) {
      calls.push([...argv])
      // ip6tables has tables of its own.
      const table = `${argv[3] as string}${cmd === 'ip6tables' ? '6' : ''}`
      const [op, chain = '', ...rest] = argv.slice(4)
      const ok = (stdout = '') => ({ exitCode: 0, stdout, stderr: '' })
      switch (op) {
        case '-S': {
          const builtin = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])
          const names = [...chains].filter((c) => c.startsWith(`${table} `)).map((c) => c.split(' ')[1] as string)
          const lines = names.map((n) => builtin.has(n) ? `-P ${n} ACCEPT` : `-N ${n}`)
          for (const r of rules) if (r.startsWith(`${table} `)) lines.push(`-A ${r.slice(table.length + 1)}`)
          return ok(lines.join('\n'))
        }
        case '-N':
          chains.add(`${table} ${chain}`)
          return ok()
        case '-C':
          return rules.has(`${table} ${chain} ${rest.join(' ')}`) ? ok() : { exitCode: 1, stdout: '', stderr: 'Bad rule' }
        case '-I':
          rules.add(`${table} ${chain} ${rest.slice(1).join(' ')}`)
          return ok()
        default:
          return { exitCode: 2, stdout: '', stderr: `fake: ${op}` }
      }
    }
  }
}

// networks: inspect answers by name; by default the bastion network as the proxy makes it.
export function fakeDocker (images: Record<string, string> = {}, opts: { down?: boolean, networks?: Record<string, NetworkFacts> } = {}): DockerProbe & { images: Record<string, string> } {
  const networks = opts.networks ?? { 'bt-unit': { Options: { 'com.docker.network.bridge.enable_icc': 'false' }, EnableIPv6: false } }
  return {
    images,
    async ping () { if (opts.down === true) throw new Error('connect ENOENT /var/run/docker.sock') },
    async network (name) {
      if (opts.down === true) throw new Error('connect ENOENT /var/run/docker.sock')
      return networks[name]
    },
    async imageId (ref) {
      if (opts.down === true) throw new Error('connect ENOENT /var/run/docker.sock')
      return images[ref]
    }
  }
}

// A context whose files live under `root` (a scratch directory).
export function setupContext (root: string, over: Partial<SetupContext> = {}): SetupContext & { exec: FakeHost } {
  const paths: HostPaths = hostPaths({ root, app: APP, node: '/opt/bastion/node/bin/node', config: '/etc/bastion/bastion.yaml' })
  return {
    paths,
    config: hostConfig(),
    users: [],
    exec: new FakeHost(),
    iptables: fakeIptables(),
    docker: fakeDocker(),
    systemd: false,
    buildImage: async (image) => [`built ${image}`],
    writeKubeconfig: async () => [],
    changed: new Set(),
    ...over
  } as SetupContext & { exec: FakeHost }
}
