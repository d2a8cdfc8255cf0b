// The parts of the config file's schema that several components share: the `network`
// section, and how a component accepts another component's section without reading it.
import { Type } from '@sinclair/typebox'

export const NetworkSection = Type.Object({
  name: Type.String({ default: 'bastion', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$', description: 'Docker network the personal containers join' }),
  bridge: Type.String({ default: 'bastion0', pattern: '^[a-zA-Z0-9_-]{1,15}$', description: 'Linux bridge interface of that network (iptables rules match on it)' }),
  subnet: Type.String({ default: '10.250.0.0/24', pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/(1[6-9]|2[0-8])$', description: 'IPv4 subnet of the network; the proxy listens on its first address (the gateway)' })
}, { additionalProperties: false, default: {} })

// Another component's section: present in the one file, validated by its owner.
export const ForeignSection = Type.Optional(Type.Object({}, { additionalProperties: true }))
