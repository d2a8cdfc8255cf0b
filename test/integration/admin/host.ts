// Helpers for the admin suites: the built `bastion` command, a scratch root with a config
// of its own (its own network, bridge, subnet, iptables chain prefix, group and users, so
// nothing is shared with the test bed's proxies or users), and snapshots of everything
// setup manages, to prove that a run changed nothing.
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { execa } from 'execa'
import { stringify } from 'yaml'
import { bedFacts } from '../../fixtures/testbed.ts'

export const REPO = resolve(import.meta.dirname, '../../..')
export const BASTION = join(REPO, 'packages/admin/dist/bin/bastion.js')
export const PROXY_BIN = join(REPO, 'packages/metadataproxy/dist/bin/bastion-metadataproxy.js')
export const NODE = '/opt/bastion/node/bin/node'
export const DOCKER = '/usr/bin/docker'

interface Teardown { teardown (fn: () => unknown): void }

export interface Scratch {
  tag: string
  root: string
  repository: string
  config: string
  chainPrefix: string
  bridge: string
  group: string
  users: string[]
  // The config as written, to derive variants from.
  doc: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  write (doc: Record<string, unknown>): void
}

// A root under /tmp (root-owned, 0755, as install.sh insists), its config, an
// sshd_config that Includes the root's drop-in directory, and two fresh users.
export async function scratch (t: Teardown, opts: { users?: number } = {}): Promise<Scratch> {
  const tag = randomBytes(3).toString('hex')
  const root = mkdtempSync('/tmp/bt-setup-')
  chmodSync(root, 0o755)
  const chainPrefix = `BT-SETUP-${tag.toUpperCase()}`
  const bridge = `btsu${tag}`
  const group = `bt-setup-${tag}`
  const users = Array.from({ length: opts.users ?? 2 }, (_, i) => `bt-setup-${tag}${String.fromCharCode(97 + i)}`)
  const need = bedFacts()
  const config = join(root, 'etc/bastion/bastion.yaml')
  const repository = `bt-setup/toolbox-${tag}`
  const doc = {
    aws: { accountId: '123456789012', region: 'eu-west-1', stsEndpoint: need('BASTION_TEST_STS_ENDPOINT') },
    network: { name: `bt-setup-${tag}`, bridge, subnet: `10.254.${parseInt(tag.slice(0, 2), 16)}.0/24` },
    metadataproxy: { iptables: { chainPrefix } },
    // A run directory of its own: setup must hand install.sh the config's, not the default.
    shell: { image: need('BASTION_TEST_SHELL_IMAGE'), allowedGroup: group, broker: { runDir: `/run/bt-setup-${tag}/shell` } },
    // A stand-in for images/toolbox (the toolbox's own suite builds the real one): both
    // builds' shape, on the bed's toolbox image so that the smoke test passes, in
    // seconds. No toolbox.flavor: a host that is not a test bed builds production.
    toolbox: {
      repository,
      context: join(root, 'src/toolbox'),
      offline: { base: need('BASTION_TEST_SHELL_IMAGE'), k9s: join(root, 'src/k9s') },
      historyFile: join(root, 'var/lib/bastion/toolbox-images.json')
    },
    // The bed's kube-apiserver, listed with its endpoint and CA (no EKS call).
    clusters: [{ name: 'testbed', region: 'eu-west-1', endpoint: need('BASTION_TEST_KUBE_SERVER'), certificateAuthority: readFileSync(need('BASTION_TEST_KUBE_CA')).toString('base64') }]
  }
  const s: Scratch = {
    tag,
    root,
    repository,
    config,
    chainPrefix,
    bridge,
    group,
    users,
    doc,
    write (d) { writeFileSync(config, stringify(d), { mode: 0o644 }) }
  }
  mkdirSync(join(root, 'etc/bastion'), { recursive: true, mode: 0o755 })
  mkdirSync(join(root, 'etc/ssh'), { recursive: true, mode: 0o755 })
  s.write(doc)
  mkdirSync(join(root, 'src/toolbox'), { recursive: true })
  writeFileSync(join(root, 'src/toolbox/Dockerfile.offline'), 'ARG BASE\nFROM ${BASE}\nCOPY k9s /tmp/k9s-stand-in\nLABEL bastion.test=setup bastion.test.flavor=offline\n')
  writeFileSync(join(root, 'src/toolbox/Dockerfile'), `FROM ${need('BASTION_TEST_SHELL_IMAGE')}\nLABEL bastion.test=setup bastion.test.flavor=production\n`)
  writeFileSync(join(root, 'src/k9s'), '#!/bin/sh\necho k9s\n', { mode: 0o755 })
  writeFileSync(join(root, 'etc/ssh/sshd_config'), [
    `Include ${root}/etc/ssh/sshd_config.d/*.conf`,
    `HostKey ${join(dirname(need('BASTION_TEST_SSHD_CONFIG')), 'ssh_host_ed25519_key')}`,
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    ''
  ].join('\n'))
  t.teardown(async () => {
    await execa(NODE, [PROXY_BIN, '--config', config, 'iptables', 'remove'], { reject: false })
    for (const u of users) await execa('userdel', ['-r', u], { reject: false })
    const images = (await execa(DOCKER, ['images', '-q', '--filter', `reference=${repository}`], { reject: false })).stdout.split('\n').filter((l) => l !== '')
    if (images.length > 0) await execa(DOCKER, ['rmi', '-f', ...new Set(images)], { reject: false })
    await execa('groupdel', [group], { reject: false })
    rmSync(root, { recursive: true, force: true })
  })
  for (const u of users) await execa('useradd', ['-m', '-s', '/bin/sh', u])
  return s
}

export function bastion (args: string[], opts: { config?: string } = {}) {
  return execa(NODE, [BASTION, ...(opts.config === undefined ? [] : ['--config', opts.config]), ...args], {
    reject: false,
    env: { NODE_OPTIONS: '', BASTION_CONFIG: '' },
    timeout: 120_000
  })
}

// path -> sha256, mode, owner and mtime of every file (and mode and owner of every
// directory) below dir.
export function snapshotTree (dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (p: string): void => {
    const st = lstatSync(p)
    const hash = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isDirectory() ? 'dir' : 'other'
    // A directory's mtime is left out: install.sh compares each file through a temporary
    // file in the same directory, which touches the directory on every run.
    out[p] = `${hash} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}${st.isDirectory() ? '' : ` ${st.mtimeMs}`}`
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n))
  }
  walk(dir)
  return out
}

// Our lines of iptables-save (the chains and every rule that names our prefix or
// bridge), without the packet counters.
export async function ourRules (s: Scratch): Promise<string[]> {
  const r = await execa('iptables-save')
  return r.stdout.split('\n').filter((l) => l.includes(s.chainPrefix) || l.includes(s.bridge)).map((l) => l.replace(/\[\d+:\d+\]/, '')).sort()
}

// The users' and the group's lines of the account databases.
export async function accounts (s: Scratch): Promise<string[]> {
  const lines: string[] = []
  for (const u of s.users) lines.push((await execa('getent', ['passwd', u])).stdout)
  lines.push((await execa('getent', ['group', s.group], { reject: false })).stdout)
  lines.push((await execa('getent', ['group', 'docker'])).stdout)
  return lines
}

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
