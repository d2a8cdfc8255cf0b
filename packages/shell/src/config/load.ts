// Loads the shell's view of /etc/bastion/bastion.yaml through @bastion/config. Any
// failure to load it, unreadable or invalid, is the operator's to fix.
import { readConfigFile } from '@bastion/config'
import { ShellConfigSchema, type ShellConfig } from './schema.ts'
import { ShellError } from '../errors.ts'

export async function loadShellConfig (path: string): Promise<Readonly<ShellConfig>> {
  try {
    return await readConfigFile(ShellConfigSchema, path)
  } catch (err) {
    throw new ShellError('BASTION_SHELL_CONFIG_INVALID', (err as Error).message, { cause: err })
  }
}
