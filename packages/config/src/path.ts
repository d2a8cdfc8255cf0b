// Where the config file is. Its own module, exported as @bastion/config/path, so that a
// process on a hot path (the login's session runner) learns the path without loading the
// YAML parser and the schema validator.
export const DEFAULT_CONFIG_PATH = '/etc/bastion/bastion.yaml'

// Where the config comes from: --config, then BASTION_CONFIG, then the default.
export function configPath (flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.BASTION_CONFIG !== undefined && env.BASTION_CONFIG !== '' ? env.BASTION_CONFIG : DEFAULT_CONFIG_PATH)
}
