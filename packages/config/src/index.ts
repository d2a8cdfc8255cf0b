// @bastion/config: every component reads /etc/bastion/bastion.yaml through this, with
// its own schema (its section, the shared ones, the others as opaque objects).
export { ConfigProblem, DEFAULT_CONFIG_PATH, configPath, parseConfigText, readConfigFile } from './load.ts'
export { ForeignSection, NetworkSection } from './sections.ts'
