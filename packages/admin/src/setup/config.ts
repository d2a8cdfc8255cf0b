// The host's config file as every component that reads it sees it: setup and doctor
// refuse a file that any of them would refuse, and report all their problems at once.
import { readFile } from 'node:fs/promises'
import { parseConfig, type Config as ProxyConfig } from '@bastion/metadataproxy'
import { parseConfigText, type Cluster } from '@bastion/config'
import { parseToolboxConfig, type ToolboxConfig } from '../image/config.ts'
import { ShipConfigSchema, type ShipConfig } from '../ship/config.ts'
import { setupError } from './errors.ts'

export interface HostConfig {
  path: string
  text: string
  proxy: Readonly<ProxyConfig>
  // The shell's sections (the login shell's own schema), the toolbox section and the
  // clusters list, as `bastion image` and `bastion kubeconfig` read them.
  shell: Readonly<ToolboxConfig>
  clusters: readonly Cluster[]
  // The log shipper's section (bastion ship), for doctor's shipping check.
  ship: Readonly<ShipConfig>
}

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
  const shell = attempt('login shell, toolbox and clusters', () => parseToolboxConfig(text, path))
  const ship = attempt('log shipper', () => parseConfigText(ShipConfigSchema, text, path))
  if (proxy === undefined || shell === undefined || ship === undefined) {
    throw setupError('BASTION_ADMIN_HOST_CONFIG_INVALID', `${path} is not a valid bastion config:\n  ${problems.join('\n  ')}`)
  }
  return { path, text, proxy, shell, clusters: shell.clusters, ship }
}
