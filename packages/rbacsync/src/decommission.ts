// `bastion-rbacsync decommission <cluster>`: the explicit end of a cluster's access,
// which sync never does by itself (a cluster that drops out of discovery is only
// reported). It refuses while the cluster is still listed or still found by discovery
// (or discovery cannot say), and while any of its groups has members: emptying them is
// a decision about people, made in IAM. Otherwise it deletes the cluster's groups
// (k8s-<tier>@<cluster>[@<namespace>] under our path), with `yes`; without, it only
// says what it would delete. The mappings lived on the cluster itself; the per-user
// roles nobody needs any more are deleted by the next sync.
import type { RbacsyncConfig } from './config/schema.ts'
import { describeError, RbacsyncError } from './errors.ts'
import { discoverClusters, type EksApi } from './eks/eks-clusters.ts'
import type { IamPort } from './iam/iam-api.ts'
import { parseGroupName } from './model/names.ts'

export interface DecommissionResult {
  cluster: string
  groups: string[]
  deleted: boolean
}

export async function decommission (config: Readonly<RbacsyncConfig>, cluster: string, deps: { iam: IamPort, eks: EksApi }, options: { yes: boolean }): Promise<DecommissionResult> {
  const refuse = (why: string): never => { throw new RbacsyncError('BASTION_RBACSYNC_DECOMMISSION_REFUSED', `will not decommission ${cluster}: ${why}`) }
  if (config.clusters.some((c) => c.name === cluster)) refuse('it is still in the clusters list; take it out of the config first')
  const regions = config.rbacsync.discover.regions
  if (regions.length > 0) {
    const found = await discoverClusters([], regions, deps.eks)
    const failed = found.failures[0]
    if (failed !== undefined) refuse(`could not list the EKS clusters of ${failed.region} (${describeError(failed.error)}), so cannot tell that it is gone`)
    const there = [...found.clusters.filter((c) => c.name === cluster).map((c) => c.region), ...found.conflicts.filter((c) => c.name === cluster).flatMap((c) => c.regions)]
    if (there.length > 0) refuse(`EKS still has it in ${[...new Set(there)].join(', ')}, and discovery would set it up again`)
  }
  const groups = (await deps.iam.listGroups(config.rbacsync.iam.path)).map((g) => g.name).filter((name) => parseGroupName(name)?.cluster === cluster).sort()
  const withMembers: string[] = []
  for (const g of groups) {
    const n = (await deps.iam.groupMembers(g)).length
    if (n > 0) withMembers.push(`${g} (${n})`)
  }
  if (withMembers.length > 0) {
    throw new RbacsyncError('BASTION_RBACSYNC_DECOMMISSION_MEMBERS', `will not decommission ${cluster}: these groups still have members: ${withMembers.join(', ')}; remove them from the groups in IAM, then run this again`)
  }
  if (!options.yes) return { cluster, groups, deleted: false }
  for (const g of groups) await deps.iam.deleteGroup(g)
  return { cluster, groups, deleted: true }
}

export function formatDecommission (r: DecommissionResult): string {
  if (r.groups.length === 0) return `${r.cluster}: none of our groups name it; nothing to do`
  const lines = r.groups.map((g) => `- iam group ${g}`)
  return r.deleted
    ? [...lines, `${r.cluster}: deleted ${r.groups.length} group(s); the next sync deletes the per-user roles no grant needs any more`].join('\n')
    : [...lines, `${r.cluster}: would delete ${r.groups.length} group(s) (dry run; --yes deletes them)`].join('\n')
}
