// What a user's container looks like: hardened, on the bastion network, running as the
// user's own uid, with the persistent home mounted. The labels say whose it is and
// which image and configuration made it, so an outdated one can be recognised.
import { createHash } from 'node:crypto'
import type Docker from 'dockerode'
import type { ShellConfig } from '../config/schema.ts'
import type { Caller } from '../identity.ts'

// Bump when the shape below changes, so existing containers are recreated.
const SPEC_VERSION = 1

export const LABEL_USER = 'bastion.user'
export const LABEL_IMAGE = 'bastion.image-digest'
export const LABEL_CONFIG = 'bastion.config-hash'

export interface Paths { home: string, passwd: string, group: string }

export function roleOf (config: Readonly<ShellConfig>, user: string): string {
  return config.shell.roles[user] ?? user
}

export function containerHome (user: string): string {
  return `/home/${user}`
}

export function configHash (config: Readonly<ShellConfig>, caller: Caller): string {
  const s = config.shell
  return createHash('sha256').update(JSON.stringify({
    // Fields listed one by one, so the order of keys in the YAML file never matters.
    v: SPEC_VERSION,
    network: config.network.name,
    limits: [s.limits.pids, s.limits.memoryMb, s.limits.cpus, s.limits.tmpfsMb],
    role: roleOf(config, caller.user),
    uid: caller.uid,
    gid: caller.gid
  })).digest('hex').slice(0, 16)
}

export function createOptions (config: Readonly<ShellConfig>, caller: Caller, name: string, imageId: string, paths: Paths): Docker.ContainerCreateOptions {
  const { limits } = config.shell
  const home = containerHome(caller.user)
  const tmpfs = `rw,nosuid,nodev,size=${limits.tmpfsMb}m`
  return {
    name,
    Image: imageId,
    Hostname: 'bastion',
    User: `${caller.uid}:${caller.gid}`,
    Cmd: ['sleep', 'infinity'],
    WorkingDir: home,
    Env: [`IAM_ROLE=${roleOf(config, caller.user)}`, `HOME=${home}`, `USER=${caller.user}`, `LOGNAME=${caller.user}`],
    Labels: { [LABEL_USER]: caller.user, [LABEL_IMAGE]: imageId, [LABEL_CONFIG]: configHash(config, caller) },
    HostConfig: {
      NetworkMode: config.network.name,
      Init: true,
      // Nothing is added back: the user runs as their own uid, so no capability is
      // needed, and NET_ADMIN / NET_RAW would allow IP and ARP spoofing of the proxy.
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': tmpfs, '/var/tmp': tmpfs, '/run': tmpfs },
      Binds: [`${paths.home}:${home}:rw`, `${paths.passwd}:/etc/passwd:ro`, `${paths.group}:/etc/group:ro`],
      PidsLimit: limits.pids,
      Memory: limits.memoryMb * 1024 * 1024,
      MemorySwap: limits.memoryMb * 1024 * 1024,
      NanoCpus: Math.round(limits.cpus * 1e9),
      IpcMode: 'private',
      RestartPolicy: { Name: 'no' }
    }
  }
}
