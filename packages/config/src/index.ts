// @bastion/config: every component reads /etc/bastion/bastion.yaml through this, with
// its own schema (its section, the shared ones, the others as opaque objects).
export { ConfigProblem, parseConfigText, readConfigFile } from './load.ts'
export { DEFAULT_CONFIG_PATH, configPath } from './path.ts'
export { ForeignSection, NetworkSection, OBJECT_SECTIONS, foreignSections, type ForeignSections, type SectionName } from './sections.ts'
export { AwsSection } from './aws.ts'
export { CLUSTER_NAME_PATTERN, ClusterEntry, ClustersSection, clusterProblems, type Cluster } from './clusters.ts'
export { EgressAllow, EgressSection, IPV4_CIDR_PATTERN, IPV4_PATTERN, type Egress, type EgressAllowEntry } from './egress.ts'
export { gatewayOf, hostAddresses } from './subnet.ts'
