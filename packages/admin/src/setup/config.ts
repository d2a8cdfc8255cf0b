// The host's config file as every component that reads it sees it: setup and doctor
// refuse a file that any of them would refuse, and report all their problems at once.
import { readFile } from 'node:fs/promises'
import { Type } from '@sinclair/typebox'
import { ClustersSection, clusterProblems, parseConfigText, type Cluster } from '@bastion/config'
import { parseConfig, type Config as ProxyConfig } from '@bastion/metadataproxy'
import { ShellConfigSchema, type ShellConfig } from '@bastion/shell'
import { setupError } from './errors.ts'

export interface HostConfig {
  path: string
  proxy: Readonly<ProxyConfig>
  shell: Readonly<ShellConfig>
  clusters: readonly Cluster[]
}

// The top-level clusters list, as the kubeconfig writer and rbacsync read it.
const ClustersView = Type.Object({ clusters: ClustersSection }, { additionalProperties: true })

export async function loadHostConfig (path: string): Promise<HostConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw setupError('BASTION_ADMIN_HOST_CONFIG_INVALID', `cannot read the config file ${path}: ${(err as Error).message}`, err)
  }
  return parseHostConfig(text, path)
}

export function parseHostConfig (text: string, path: string): HostConfig {
  const problems: string[] = []
  const attempt = <T>(component: string, parse: () => T): T | undefined => {
    try {
      return parse()
    } catch (err) {
      problems.push(`for the ${component}: ${(err as Error).message}`)
      return undefined
    }
  }
  const proxy = attempt('metadata proxy', () => parseConfig(text, path))
  const shell = attempt('login shell', () => parseConfigText(ShellConfigSchema, text, path))
  const clusters = attempt('cluster list', () => parseConfigText(ClustersView, text, path, (c) => clusterProblems(c.clusters)).clusters)
  if (proxy === undefined || shell === undefined || clusters === undefined) {
    throw setupError('BASTION_ADMIN_HOST_CONFIG_INVALID', `${path} is not a valid bastion config:\n  ${problems.join('\n  ')}`)
  }
  return { path, proxy, shell, clusters }
}
