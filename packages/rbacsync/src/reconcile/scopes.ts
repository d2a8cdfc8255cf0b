// Which scopes a cluster has: the cluster itself and each of its namespaces that the
// include/exclude globs select, minus those whose group names IAM would refuse.
import { TIERS, LIMITS, groupName, describeScope, type Scope } from '../model/names.ts'
import type { ClusterSyncSettings } from '../config/schema.ts'
import { problem, type Problem } from '../errors.ts'
import { PROTECTED_NAMESPACE } from '../model/tiers.ts'

export function globMatch (pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`)
  return re.test(name)
}

// kube-system is never a namespace scope, whatever the globs say: its poweruser or
// user could take the identity of its service accounts or edit aws-auth.
export function selectedNamespaces (settings: Pick<ClusterSyncSettings, 'includeNamespaces' | 'excludeNamespaces'>, namespaces: readonly string[]): string[] {
  return namespaces.filter((n) => n !== PROTECTED_NAMESPACE && settings.includeNamespaces.some((p) => globMatch(p, n)) && !settings.excludeNamespaces.some((p) => globMatch(p, n)))
}

// The scopes to sync, and a problem for each scope none of whose tiers can be applied
// because one of its group names is too long (a scope is applied whole or not at all).
export function clusterScopes (cluster: string, namespaces: readonly string[]): { scopes: Scope[], problems: Problem[] } {
  const scopes: Scope[] = []
  const problems: Problem[] = []
  const all: Scope[] = [{ cluster }, ...namespaces.map((namespace) => ({ cluster, namespace }))]
  for (const scope of all) {
    const longest = TIERS.map((t) => groupName(t, scope)).reduce((a, b) => (b.length > a.length ? b : a))
    if (longest.length > LIMITS.groupName) {
      problems.push(problem('BASTION_RBACSYNC_GROUP_NAME_TOO_LONG', scope.namespace ?? cluster,
        `${describeScope(scope)} gets no tiers: the group name ${longest} has ${longest.length} characters, IAM allows ${LIMITS.groupName}`))
    } else {
      scopes.push(scope)
    }
  }
  return { scopes, problems }
}
