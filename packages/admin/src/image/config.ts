// The `toolbox` section of /etc/bastion/bastion.yaml, which `bastion image` and
// `bastion kubeconfig` own, and the whole file as these commands read it: the shell's
// sections validated by the shell's own schema (they write shell.image and read
// shell.kubeconfigDir, so they refuse a file the login shell would refuse), the shared
// `clusters` list, and every other section as its owners' business.
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import { ClustersSection, ConfigProblem, clusterProblems, parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '@bastion/shell'
import { KubeconfigSection } from '../kubeconfig/config.ts'

const section = { additionalProperties: false, default: {} } as const

export const ToolboxSection = Type.Object({
  repository: Type.String({ default: 'bastion/toolbox', pattern: '^[a-z0-9]+([._/-][a-z0-9]+)*$', description: 'Image repository the builds are tagged in: <repository>:<version> and <repository>:sha-<12 hex of the id>' }),
  flavor: Type.Union([Type.Literal('offline'), Type.Literal('production')], { default: 'production', description: 'Which build `bastion image build` and `bastion setup image` make without --offline or --production; only a test bed (or an air-gapped host with its own Debian mirror) says offline here' }),
  context: Type.Optional(Type.String({ pattern: '^/', description: "Directory with the toolbox's Dockerfiles; default: images/toolbox of the installed suite" })),
  offline: Type.Object({
    base: Type.String({ default: 'bastion/debian:bookworm', minLength: 1, description: 'Base image of the offline build (a debootstrapped Debian 12)' }),
    k9s: Type.String({ default: '/opt/bastion/bin/k9s', pattern: '^/', description: 'The k9s binary the offline build copies in (built from its Go module)' }),
    kubectl: Type.String({ default: '/opt/bastion/bin/kubectl', pattern: '^/', description: "The kubectl binary the offline build copies in (built from its Go module), within Kubernetes' version skew of the clusters (one minor version either side)" })
  }, section),
  production: Type.Object({
    base: Type.Optional(Type.String({ minLength: 1, description: "Base image of the production build; default: the Dockerfile's pinned Debian 12" }))
  }, section),
  historyFile: Type.String({ default: '/var/lib/bastion/toolbox-images.json', pattern: '^/', description: 'Images made the configured one, newest last, for `bastion image rollback`' }),
  buildTimeoutSeconds: Type.Integer({ minimum: 60, maximum: 21600, default: 3600, description: 'Longest a `docker build` of the toolbox may take' }),
  dockerTimeoutMs: Type.Integer({ minimum: 1000, maximum: 300000, default: 30000, description: 'Timeout of one Docker API call' }),
  kubeconfig: KubeconfigSection
}, section)

export type Toolbox = Static<typeof ToolboxSection>

export const ToolboxConfigSchema = Type.Object({
  ...ShellConfigSchema.properties,
  toolbox: ToolboxSection,
  clusters: ClustersSection
}, { additionalProperties: false })

export type ToolboxConfig = Static<typeof ToolboxConfigSchema>

export interface LoadedConfig {
  path: string
  text: string
  config: Readonly<ToolboxConfig>
}

// Throws @bastion/config's ConfigProblem; the commands wrap it in their own code.
export async function loadToolboxConfig (path: string): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigProblem(path, [`cannot read config file ${path}: ${(err as Error).message}`], true, err)
  }
  return { path, text, config: parseToolboxConfig(text, path) }
}

export function parseToolboxConfig (text: string, source = 'config'): Readonly<ToolboxConfig> {
  return parseConfigText(ToolboxConfigSchema, text, source, (c) => clusterProblems(c.clusters))
}
