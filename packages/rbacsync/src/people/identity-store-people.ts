// People from IAM Identity Center: the identity store's groups named like access
// groups (k8s-<tier>@C[@N]; the store has no paths, so the name alone says it is
// ours), their members (ListGroupMemberships), and each member's UserName
// (DescribeUser, once per person per read), mapped to a role and account name by
// person-names.ts. A name that cannot be mapped, and two people whose names map to
// one, are reported and left out of every group; any failed call fails the read.
import { parseGroupName } from '../model/names.ts'
import { problem, type Problem } from '../errors.ts'
import { mapLimit } from '../reconcile/limit.ts'
import type { IdentityStorePort } from './identity-store-api.ts'
import { personNameFor } from './person-names.ts'
import { step, type PeopleSource } from './people-source.ts'

export function identityStorePeople (store: IdentityStorePort, storeId: string, concurrency: number): PeopleSource {
  return {
    label: `Identity Center (identity store ${storeId})`,
    ownsGroups: false,
    async read () {
      const groups = (await step(`the groups of identity store ${storeId}`, () => store.listGroups()))
        .filter((g) => parseGroupName(g.displayName) !== undefined)
      const memberIds = await mapLimit(groups, concurrency, (g) => step(`the members of identity store group ${g.displayName}`, () => store.groupMembers(g.id)))
      const ids = [...new Set(memberIds.flat())].sort()
      const userNames = await mapLimit(ids, concurrency, (id) => step(`identity store user ${id}`, () => store.userName(id)))
      const problems: Problem[] = []
      const nameOf = new Map<string, string>()
      const claimed = new Map<string, string[]>()
      ids.forEach((id, i) => {
        const userName = userNames[i]!
        const mapped = personNameFor(userName)
        if ('problem' in mapped) {
          problems.push(problem('BASTION_RBACSYNC_PERSON_NAME_INVALID', userName, `Identity Center user ${mapped.problem}: skipped, in every group`))
          return
        }
        claimed.set(mapped.name, [...(claimed.get(mapped.name) ?? []), userName])
        nameOf.set(id, mapped.name)
      })
      for (const [name, who] of claimed) {
        if (who.length < 2) continue
        problems.push(problem('BASTION_RBACSYNC_PERSON_NAME_COLLISION', name, `Identity Center users ${[...who].sort().map((w) => JSON.stringify(w)).join(' and ')} would all be ${name}: all skipped, in every group`))
        for (const [id, n] of nameOf) if (n === name) nameOf.delete(id)
      }
      return {
        groups: groups.map((g, i) => ({
          name: g.displayName,
          ...(g.created !== undefined ? { created: g.created } : {}),
          members: memberIds[i]!.flatMap((id) => nameOf.get(id) ?? [])
        })),
        problems
      }
    }
  }
}
