// The schema of /etc/bastion/bastion.yaml as far as the login shell reads it: the
// shared `network` section and the `shell` section. Other components' sections are
// accepted as objects and validated by their owners.
import { Type, type Static } from '@sinclair/typebox'
import { NetworkSection, foreignSections } from '@bastion/config'

const strict = { additionalProperties: false } as const
const section = <T extends Record<string, import('@sinclair/typebox').TSchema>>(props: T) => Type.Object(props, { ...strict, default: {} })

const Limits = section({
  pids: Type.Integer({ minimum: 16, maximum: 65536, default: 512, description: 'Most tasks (processes and threads) a container may run, the agent\'s 15 or so included (stops fork bombs)' }),
  memoryMb: Type.Integer({ minimum: 64, maximum: 262144, default: 2048, description: 'Memory limit of a container, swap included' }),
  cpus: Type.Number({ minimum: 0.1, maximum: 64, default: 1, description: 'CPU limit of a container, in cores' }),
  tmpfsMb: Type.Integer({ minimum: 1, maximum: 65536, default: 256, description: 'Size of each writable tmpfs (/tmp, /run, /var/tmp) on the read-only root' })
})

const Homes = section({
  sizeMb: Type.Union([Type.Literal(0), Type.Integer({ minimum: 16, maximum: 16777216 })], { default: 0, description: 'Size limit of each home, in MiB (16 or more): the home is then an ext4 image of that size under <homeRoot>/.images, loop-mounted nosuid,nodev at login (docs/shell/homes.md); 0: no limit' })
})

const Audit = section({
  file: Type.String({ default: '/var/log/bastion/sessions.jsonl', description: 'One JSON line at the start and end of each session' }),
  recordingsDir: Type.String({ default: '/var/log/bastion/recordings', description: 'asciicast v2 recordings of sessions (all but file transfers), one file per session, in a directory per user' }),
  record: Type.Boolean({ default: true, description: 'Record sessions: output, resizes, and input when there is no TTY' }),
  maxSessionRecordingKb: Type.Integer({ minimum: 4, maximum: 16777216, default: 65536, description: 'Largest recording of one session, in KiB: it stops there and says so, the session goes on, and the log says so' }),
  maxUserRecordingsKb: Type.Integer({ minimum: 4, maximum: 1073741824, default: 1048576, description: 'Most space all of one user\'s recordings may take, in KiB; past it, their new sessions\' recordings stop at once and say so' })
})

const Log = section({
  file: Type.String({ default: '/var/log/bastion/shell.log', description: 'Operator log (pino JSON); the user never sees it' }),
  level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level' })
})

const Broker = section({
  // The agent sockets' paths must stay under the 107 bytes a Unix socket path may have.
  runDir: Type.String({ default: '/run/bastion/shell', pattern: '^/[A-Za-z0-9._/+-]*[A-Za-z0-9._+-]$', maxLength: 60, description: 'Runtime directory of the session broker: broker.sock, which the login shell connects to (install.sh --run-dir must name the same directory), the one-time identity sockets and the containers\' session sockets' }),
  spareWorkers: Type.Integer({ minimum: 0, maximum: 32, default: 2, description: 'Session workers kept forked ahead of logins, with every module loaded' }),
  sessionsPerWorker: Type.Integer({ minimum: 1, maximum: 256, default: 32, description: 'Most sessions one worker process serves at once: a live session then costs a few MB, and a crash ends at most this many sessions' }),
  maxSessions: Type.Integer({ minimum: 1, maximum: 100000, default: 1024, description: 'Most sessions the broker serves at once; further logins get BASTION_SHELL_BUSY' }),
  maxSessionsPerUser: Type.Integer({ minimum: 1, maximum: 100000, default: 32, description: 'Most sessions one user may have at once; further logins of theirs get BASTION_SHELL_USER_SESSION_LIMIT' }),
  handshakeTimeoutMs: Type.Integer({ minimum: 500, maximum: 60000, default: 5000, description: 'One deadline for a connection to broker.sock to say who it is, prove it and send its request; it is closed after that' }),
  maxUnauthenticated: Type.Integer({ minimum: 16, maximum: 60000, default: 4096, description: 'Most connections the broker holds before their uid is proven; past it the oldest is closed (BASTION_SHELL_TOO_MANY_CONNECTIONS)' }),
  maxUnauthenticatedPerUser: Type.Integer({ minimum: 1, maximum: 1024, default: 8, description: 'Most connections claiming one uid that wait for their proof; past it the oldest of them is closed (BASTION_SHELL_TOO_MANY_CONNECTIONS)' })
})

const Agent = section({
  path: Type.String({ default: '/usr/local/libexec/bastion/bastion-agent', pattern: '^/', description: 'The agent binary, mounted read-only into every container as its main process; without it, sessions use docker exec' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 3000, description: 'How long a session waits for the container\'s agent before it falls back to docker exec' })
})

export const ShellSection = section({
  image: Type.String({ default: 'bastion/toolbox:latest', minLength: 1, description: 'Image of the personal containers' }),
  allowedGroup: Type.String({ default: 'bastion-users', pattern: '^[a-z_][a-z0-9_.-]*\\$?$', description: 'Only members of this Unix group get a container' }),
  roles: Type.Record(Type.String(), Type.String({ pattern: '^[\\w+=,.@-]{1,64}$' }), { default: {}, description: 'IAM role per user; a user not listed gets the role named like them' }),
  homeRoot: Type.String({ default: '/var/lib/bastion/home', description: 'Persistent per-user homes on the host, mounted as the home in the container' }),
  stateDir: Type.String({ default: '/var/lib/bastion/state', description: 'Generated passwd/group files and session state' }),
  dockerSocket: Type.String({ default: '/var/run/docker.sock', description: 'Docker Engine API socket' }),
  kubeconfigDir: Type.String({ default: '/etc/bastion/kube', pattern: '^/', description: 'Directory of the kubeconfig `bastion kubeconfig write` writes (its file `config`), mounted read-only into every container; no mount while that file is absent' }),
  stepTimeoutMs: Type.Integer({ minimum: 1000, maximum: 300000, default: 30000, description: 'Longest any step of a login may take (the shell never hangs)' }),
  idleTimeoutSeconds: Type.Integer({ minimum: 0, default: 3600, description: 'End a session with no input or output for this long (0: never)' }),
  maxSessionSeconds: Type.Integer({ minimum: 0, default: 43200, description: 'End any session after this long (0: never)' }),
  gcIdleSeconds: Type.Integer({ minimum: 60, default: 86400, description: '`bastion-shell gc` removes containers with no session for this long' }),
  revokeCheckSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'How often the broker looks for users no longer in allowedGroup or on the host, and removes their container, sessions and processes' }),
  addressHoldHours: Type.Integer({ minimum: 1, maximum: 87600, default: 24, description: 'Each person\'s container always gets the same address on the network; it passes to someone else only when every address is claimed, and only one whose person has had no container and no session for this long' }),
  revokedHomeDays: Type.Integer({ minimum: 0, maximum: 36500, default: 30, description: 'Days the home of a user who lost access is kept, owned by root, before it is removed (0: at the next sweep)' }),
  reason: Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')], { default: 'off', description: 'Ask each login for its reason (a ticket or a few words), recorded in the session audit: off, optional (an interactive login is asked, Enter skips) or required (a login without one is refused, BASTION_SHELL_REASON_REQUIRED); commands give it with ssh -o SetEnv=BASTION_REASON=...' }),
  broker: Broker,
  agent: Agent,
  limits: Limits,
  homes: Homes,
  audit: Audit,
  log: Log
})

export const ShellConfigSchema = Type.Object({
  network: NetworkSection,
  shell: ShellSection,
  ...foreignSections('network', 'shell')
}, strict)

export type ShellConfig = Static<typeof ShellConfigSchema>
