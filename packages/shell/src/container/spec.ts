// What a user's container looks like: hardened, on the bastion network, running as the
// user's own uid, with the persistent home and the operators' kubeconfig mounted. The
// labels say whose it is and which image and configuration made it, so an outdated one
// can be recognised.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { ShellConfig } from '../config/schema.ts'
import type { Caller } from '../identity.ts'

// Bump when the shape below changes, so existing containers are recreated.
const SPEC_VERSION = 4

export const LABEL_USER = 'bastion.user'
export const LABEL_IMAGE = 'bastion.image-digest'
export const LABEL_CONFIG = 'bastion.config-hash'
// The sha256 (16 hex) of the agent binary the container runs; absent: no agent, so
// its sessions use docker exec.
export const LABEL_AGENT = 'bastion.agent'

// Host paths the container mounts: the home, generated passwd and group, and the
// root-owned directory where the broker puts the sessions' sockets for the agent.
// homeImage: the home is the user's image, mounted there (container/home-image.ts).
export interface Paths { home: string, passwd: string, group: string, agentDir: string, homeImage?: boolean }

// The agent as the container runs it (docs/shell/protocol.md): the host's binary,
// mounted read-only, as the main process under Docker's init, and the session
// sockets' directory, read-only, which it watches.
export interface AgentMount { hostPath: string, hash: string }
export const AGENT_BIN = '/usr/local/libexec/bastion-agent'
// The agent's command line. The flag tells it each request names its user; an agent
// too old for that (it would run commands as itself, root) exits on it instead.
export const AGENT_CMD = [AGENT_BIN, '--as-requested-user'] as const
export const AGENT_DIR = '/run/bastion-agent'
export const AGENT_CAPS = ['SETUID', 'SETGID', 'KILL'] as const

// Whether a listed container is on this configuration's network: one of this
// instance's, not another's on the same host (revoke.ts, gc.ts).
export function onNetwork (c: { HostConfig?: { NetworkMode?: string } }, config: Readonly<ShellConfig>): boolean {
  return c.HostConfig?.NetworkMode === config.network.name
}

// The operators' kubeconfig directory (shell.kubeconfigDir) appears read-only here, and
// the directory is mounted rather than the file so that a kubeconfig replaced by rename
// reaches running containers too.
export const KUBE_DIR = '/etc/bastion/kube'
// kubectl takes a lock file beside every file named in KUBECONFIG before it changes any
// of them, so a path inside the read-only mount would make every `kubectl config` edit
// (kubectx, kubens) fail. KUBECONFIG names this symlink in the container's own /tmp
// instead, made when the container starts. The user's own file comes first: kubectl
// writes their choices (current context, namespaces) there and merges the two.
// The command runs as the agent (root, without CAP_CHOWN), so the directory is sticky
// and open to all, like /tmp itself: the user can take kubectl's lock there but cannot
// move or replace the link. /tmp is a fresh tmpfs at every start, so nothing of the
// user's is there for the command to meet.
export const KUBE_LINK = '/tmp/.bastion-kube/config'
const KUBE_LINK_CMD = `mkdir -p -m 1777 ${KUBE_LINK.slice(0, KUBE_LINK.lastIndexOf('/'))}; ln -sfn ${KUBE_DIR}/config ${KUBE_LINK}`

// The host directory to mount, or undefined while it holds no kubeconfig yet.
export interface KubeMount { source: string }

export function kubeconfigMount (config: Readonly<ShellConfig>, exists: (path: string) => boolean = existsSync): KubeMount | undefined {
  const dir = config.shell.kubeconfigDir
  return exists(join(dir, 'config')) ? { source: dir } : undefined
}

// The user's own entry only: a user named `constructor` or `__proto__` must not get
// what the object inherits.
export function roleOf (config: Readonly<ShellConfig>, user: string): string {
  const roles = config.shell.roles
  return Object.hasOwn(roles, user) ? roles[user] as string : user
}

export function containerHome (user: string): string {
  return `/home/${user}`
}

// kube: null for no kubeconfig mount; left out, it is looked up (kubeconfigMount).
// agent: null for a container without the agent. homeImage: the home is an image,
// so that a container made before its image (it sees the directory below) is recreated.
export function configHash (config: Readonly<ShellConfig>, caller: Caller, kube: KubeMount | null = kubeconfigMount(config) ?? null, agent: AgentMount | null = null, homeImage = false): string {
  const s = config.shell
  return createHash('sha256').update(JSON.stringify({
    // Fields listed one by one, so the order of keys in the YAML file never matters.
    v: SPEC_VERSION,
    network: config.network.name,
    limits: [s.limits.pids, s.limits.memoryMb, s.limits.cpus, s.limits.tmpfsMb],
    role: roleOf(config, caller.user),
    uid: caller.uid,
    gid: caller.gid,
    // Only when there is one, so that containers made before kubeconfigs existed, and
    // still without one, are not recreated for nothing.
    ...(kube === null ? {} : { kube: kube.source }),
    ...(agent === null ? {} : { agent: agent.hash, agentDir: config.shell.broker.runDir, agentAs: 'root' }),
    ...(homeImage ? { home: 'image' } : {})
  })).digest('hex').slice(0, 16)
}

// The container's command: the agent (after linking the kubeconfig, when there is
// one), or, without an agent, something that waits for docker exec.
export function mainCommand (kube: KubeMount | null, agent: AgentMount | null): string[] {
  const last = agent === null ? 'sleep infinity' : AGENT_CMD.join(' ')
  if (kube === null) return agent === null ? ['sleep', 'infinity'] : [...AGENT_CMD]
  return ['sh', '-c', `${KUBE_LINK_CMD}; exec ${last}`]
}

// address: the person's own address on the network (container/address.ts), pinned.
export function createOptions (config: Readonly<ShellConfig>, caller: Caller, name: string, imageId: string, paths: Paths, kube: KubeMount | null = kubeconfigMount(config) ?? null, agent: AgentMount | null = null, address?: string): Docker.ContainerCreateOptions {
  const { limits } = config.shell
  const home = containerHome(caller.user)
  const tmpfs = `rw,nosuid,nodev,size=${limits.tmpfsMb}m`
  const binds = [`${paths.home}:${home}:rw`, `${paths.passwd}:/etc/passwd:ro`, `${paths.group}:/etc/group:ro`]
  const env = [`IAM_ROLE=${roleOf(config, caller.user)}`, `HOME=${home}`, `USER=${caller.user}`, `LOGNAME=${caller.user}`]
  if (kube !== null) {
    binds.push(`${kube.source}:${KUBE_DIR}:ro`)
    env.push(`KUBECONFIG=${home}/.kube/config:${KUBE_LINK}`)
  }
  const labels: Record<string, string> = { [LABEL_USER]: caller.user, [LABEL_IMAGE]: imageId, [LABEL_CONFIG]: configHash(config, caller, kube, agent, paths.homeImage === true) }
  if (agent !== null) {
    binds.push(`${agent.hostPath}:${AGENT_BIN}:ro`, `${paths.agentDir}:${AGENT_DIR}:ro`)
    labels[LABEL_AGENT] = agent.hash
  }
  return {
    name,
    Image: imageId,
    Hostname: 'bastion',
    // The agent is root, so that the user's processes cannot signal, trace or read it,
    // nor reach its sockets; it runs every command as the user (docs/shell/agent-trust.md).
    User: agent === null ? `${caller.uid}:${caller.gid}` : '0:0',
    Cmd: mainCommand(kube, agent),
    WorkingDir: home,
    Env: env,
    Labels: labels,
    ...(address === undefined ? {} : { NetworkingConfig: { EndpointsConfig: { [config.network.name]: { IPAMConfig: { IPv4Address: address } } } } }),
    HostConfig: {
      NetworkMode: config.network.name,
      Init: true,
      // The user runs as their own uid, so they need no capability, and NET_ADMIN /
      // NET_RAW would allow IP and ARP spoofing of the proxy.
      CapDrop: ['ALL'],
      // The agent's only rights: become the user (SETUID, SETGID) and kill what the
      // user's session started (KILL). setuid clears them for every command it starts.
      ...(agent === null ? {} : { CapAdd: [...AGENT_CAPS] }),
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': tmpfs, '/var/tmp': tmpfs, '/run': tmpfs },
      Binds: binds,
      PidsLimit: limits.pids,
      Memory: limits.memoryMb * 1024 * 1024,
      MemorySwap: limits.memoryMb * 1024 * 1024,
      NanoCpus: Math.round(limits.cpus * 1e9),
      IpcMode: 'private',
      RestartPolicy: { Name: 'no' }
    }
  }
}
