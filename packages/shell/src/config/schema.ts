// The schema of /etc/bastion/bastion.yaml as far as the login shell reads it: the
// shared `network` section and the `shell` section. Other components' sections are
// accepted as objects and validated by their owners.
import { Type, type Static } from '@sinclair/typebox'

const strict = { additionalProperties: false } as const
const section = <T extends Record<string, import('@sinclair/typebox').TSchema>>(props: T) => Type.Object(props, { ...strict, default: {} })

// The same shape as the metadata proxy's `network`: both read the one file.
const Network = section({
  name: Type.String({ default: 'bastion', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$', description: 'Docker network the personal containers join' }),
  bridge: Type.String({ default: 'bastion0', pattern: '^[a-zA-Z0-9_-]{1,15}$', description: 'Linux bridge interface of that network' }),
  subnet: Type.String({ default: '10.250.0.0/24', pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/(1[6-9]|2[0-8])$', description: 'IPv4 subnet of the network' })
})

const Limits = section({
  pids: Type.Integer({ minimum: 16, maximum: 65536, default: 512, description: 'Most processes a container may run (stops fork bombs)' }),
  memoryMb: Type.Integer({ minimum: 64, maximum: 262144, default: 2048, description: 'Memory limit of a container, swap included' }),
  cpus: Type.Number({ minimum: 0.1, maximum: 64, default: 1, description: 'CPU limit of a container, in cores' }),
  tmpfsMb: Type.Integer({ minimum: 1, maximum: 65536, default: 256, description: 'Size of each writable tmpfs (/tmp, /run, /var/tmp) on the read-only root' })
})

const Audit = section({
  file: Type.String({ default: '/var/log/bastion/sessions.jsonl', description: 'One JSON line at the start and end of each session' }),
  recordingsDir: Type.String({ default: '/var/log/bastion/recordings', description: 'asciicast v2 recordings of TTY sessions, one file per session' }),
  record: Type.Boolean({ default: true, description: 'Record TTY sessions' })
})

const Log = section({
  file: Type.String({ default: '/var/log/bastion/shell.log', description: 'Operator log (pino JSON); the user never sees it' }),
  level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level' })
})

export const ShellSection = section({
  image: Type.String({ default: 'bastion/toolbox:latest', minLength: 1, description: 'Image of the personal containers' }),
  allowedGroup: Type.String({ default: 'bastion-users', pattern: '^[a-z_][a-z0-9_.-]*\\$?$', description: 'Only members of this Unix group get a container' }),
  roles: Type.Record(Type.String(), Type.String({ pattern: '^[\\w+=,.@-]{1,64}$' }), { default: {}, description: 'IAM role per user; a user not listed gets the role named like them' }),
  homeRoot: Type.String({ default: '/var/lib/bastion/home', description: 'Persistent per-user homes on the host, mounted as the home in the container' }),
  stateDir: Type.String({ default: '/var/lib/bastion/state', description: 'Generated passwd/group files and session state' }),
  dockerSocket: Type.String({ default: '/var/run/docker.sock', description: 'Docker Engine API socket' }),
  stepTimeoutMs: Type.Integer({ minimum: 1000, maximum: 300000, default: 30000, description: 'Longest any step of a login may take (the shell never hangs)' }),
  idleTimeoutSeconds: Type.Integer({ minimum: 0, default: 3600, description: 'End a session with no input or output for this long (0: never)' }),
  maxSessionSeconds: Type.Integer({ minimum: 0, default: 43200, description: 'End any session after this long (0: never)' }),
  gcIdleSeconds: Type.Integer({ minimum: 60, default: 86400, description: '`bastion-shell gc` removes containers with no session for this long' }),
  limits: Limits,
  audit: Audit,
  log: Log
})

const Foreign = Type.Object({}, { additionalProperties: true })

export const ShellConfigSchema = Type.Object({
  network: Network,
  shell: ShellSection,
  aws: Type.Optional(Foreign),
  metadataproxy: Type.Optional(Foreign),
  rbacsync: Type.Optional(Foreign),
  toolbox: Type.Optional(Foreign),
  clusters: Type.Optional(Type.Array(Type.Unknown()))
}, strict)

export type ShellConfig = Static<typeof ShellConfigSchema>
