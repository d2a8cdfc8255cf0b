// The `ship` section: `bastion ship` sends the bastion's own audit logs (the shell's
// session log, the proxy's credential log, the index of uploaded recordings) to
// CloudWatch Logs, one log group per kind and one stream per host. Beside its own
// section it reads where the shell and the proxy write their logs (their sections'
// keys, with their defaults; test/ship/config.test.ts holds them to the owners').
import { hostname } from 'node:os'
import { join } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { readConfigFile } from '@bastion/config'

const REGION = { pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$' } as const
const GROUP = { pattern: '^[.\\-_/#A-Za-z0-9]{1,512}$' } as const
// A log stream name, and the name `bastion audit` knows a host by.
export const HOST_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$'

export const ShipSection = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Ship the logs: Chef installs and starts bastion-ship.service only when true, and bastion doctor checks it' }),
  host: Type.Optional(Type.String({ pattern: HOST_PATTERN, description: 'This host\'s name, the stream name in each group; default: the host name up to its first dot' })),
  region: Type.Optional(Type.String({ ...REGION, description: 'Region of the log groups; default aws.region' })),
  endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'CloudWatch Logs endpoint; default: the region\'s. Point it at an emulator in tests' })),
  stateDir: Type.String({ default: '/var/lib/bastion/ship', pattern: '^/', description: 'The cursors (what CloudWatch acknowledged, per file) and status.json; root\'s, mode 0700' }),
  intervalMs: Type.Integer({ minimum: 100, maximum: 600000, default: 2000, description: 'How often the files are looked at for new lines' }),
  sessionsLogGroup: Type.String({ ...GROUP, default: '/bastion/sessions', description: 'Log group of the shell\'s session logs (shell.audit.file)' }),
  credentialsLogGroup: Type.String({ ...GROUP, default: '/bastion/credentials', description: 'Log group of the metadata proxy\'s credential logs (metadataproxy.log.auditFile; nothing is shipped while that is unset)' }),
  recordingsLogGroup: Type.String({ ...GROUP, default: '/bastion/recordings', description: 'Log group of the index of recordings: one JSON line per recording uploaded to S3 (<stateDir>/recordings-index.jsonl)' }),
  backlogWarnSeconds: Type.Integer({ minimum: 1, maximum: 604800, default: 300, description: 'bastion doctor warns when the oldest line not yet shipped is older than this' }),
  recordings: Type.Object({
    bucket: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'S3 bucket the session recordings are uploaded to; unset: recordings are not uploaded' })),
    prefix: Type.String({ default: 'bastion/recordings/', description: 'Key prefix of the recordings in the bucket' })
  }, { additionalProperties: false, default: {} })
}, { additionalProperties: false, default: {} })

export type ShipSectionConfig = Static<typeof ShipSection>

const open = { additionalProperties: true, default: {} } as const

export const ShipConfigSchema = Type.Object({
  ship: ShipSection,
  aws: Type.Object({ region: Type.String({ default: 'us-east-1' }) }, open),
  shell: Type.Object({
    stateDir: Type.String({ default: '/var/lib/bastion/state' }),
    audit: Type.Object({ file: Type.String({ default: '/var/log/bastion/sessions.jsonl' }), recordingsDir: Type.String({ default: '/var/log/bastion/recordings' }) }, open)
  }, open),
  metadataproxy: Type.Object({ log: Type.Object({ auditFile: Type.Optional(Type.String()) }, open) }, open)
}, { additionalProperties: true })

export type ShipConfig = Static<typeof ShipConfigSchema>

export const KINDS = ['sessions', 'credentials', 'recordings'] as const
export type Kind = typeof KINDS[number]

// One file shipped to one group; file null: not written on this host (no auditFile).
export interface ShipSource {
  kind: Kind
  file: string | null
  group: string
}

export interface ShipSettings {
  host: string
  region: string
  endpoint: string | undefined
  stateDir: string
  intervalMs: number
  backlogWarnSeconds: number
  sources: ShipSource[]
}

export const RECORDINGS_INDEX = 'recordings-index.jsonl'

export const shortHostname = (name: string = hostname()): string => name.split('.')[0] ?? name

export function shipSettings (config: Readonly<ShipConfig>, host: string = shortHostname()): ShipSettings {
  const s = config.ship
  return {
    host: s.host ?? host,
    region: s.region ?? config.aws.region,
    endpoint: s.endpoint,
    stateDir: s.stateDir,
    intervalMs: s.intervalMs,
    backlogWarnSeconds: s.backlogWarnSeconds,
    sources: [
      { kind: 'sessions', file: config.shell.audit.file, group: s.sessionsLogGroup },
      { kind: 'credentials', file: config.metadataproxy.log.auditFile ?? null, group: s.credentialsLogGroup },
      { kind: 'recordings', file: join(s.stateDir, RECORDINGS_INDEX), group: s.recordingsLogGroup }
    ]
  }
}

export async function loadShipConfig (path: string): Promise<Readonly<ShipConfig>> {
  return readConfigFile(ShipConfigSchema, path)
}
