// The parts of the config file's schema that several components share: the `network`
// section, and how a component accepts another component's section without reading it.
import { Type, type TArray, type TOptional, type TUnknown } from '@sinclair/typebox'
import { EgressSection } from './egress.ts'

export const NetworkSection = Type.Object({
  name: Type.String({ default: 'bastion', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$', description: 'Docker network the personal containers join' }),
  bridge: Type.String({ default: 'bastion0', pattern: '^[a-zA-Z0-9_-]{1,15}$', description: 'Linux bridge interface of that network (iptables rules match on it)' }),
  subnet: Type.String({ default: '10.250.0.0/24', pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/(1[6-9]|2[0-8])$', description: 'IPv4 subnet of the network; the proxy listens on its first address (the gateway)' }),
  egress: EgressSection
}, { additionalProperties: false, default: {} })

// Another component's section: present in the one file, validated by its owner.
export const ForeignSection = Type.Optional(Type.Object({}, { additionalProperties: true }))

// Every top-level section of the config file that is an object. A new section is
// added here, once, and every component then accepts it as another's.
export const OBJECT_SECTIONS = ['aws', 'network', 'metadataproxy', 'shell', 'rbacsync', 'toolbox', 'audit', 'users', 'ship'] as const
export type SectionName = typeof OBJECT_SECTIONS[number] | 'clusters'

// The top-level `clusters` list, as a component that does not read it accepts it.
const ForeignList = Type.Optional(Type.Array(Type.Unknown()))

export type ForeignSections<Own extends SectionName> =
  { [K in Exclude<typeof OBJECT_SECTIONS[number], Own>]: typeof ForeignSection } &
  ('clusters' extends Own ? unknown : { clusters: TOptional<TArray<TUnknown>> })

// The sections a component does not own, each accepted unread: spread it into the
// component's schema beside its own sections, which it names in `own`.
export function foreignSections<const Own extends SectionName = never> (...own: Own[]): ForeignSections<Own> {
  const mine = new Set<SectionName>(own)
  const out: Record<string, unknown> = {}
  for (const name of OBJECT_SECTIONS) if (!mine.has(name)) out[name] = ForeignSection
  if (!mine.has('clusters')) out.clusters = ForeignList
  return out as ForeignSections<Own>
}
