// People from IAM: the groups on rbacsync's IAM path (exactly that path: PathPrefix
// also matches deeper ones, and some emulators ignore it) and their IAM users, whose
// user names are the role and account names unchanged.
import type { IamPort } from '../iam/iam-api.ts'
import { mapLimit } from '../reconcile/limit.ts'
import { step, type PeopleSource } from './people-source.ts'

export function iamPeople (iam: Pick<IamPort, 'listGroups' | 'groupMembers'>, path: string, concurrency: number): PeopleSource {
  return {
    label: 'IAM',
    ownsGroups: true,
    async read () {
      const groups = (await step(`IAM groups under ${path}`, () => iam.listGroups(path))).filter((g) => g.path === path)
      const members = await mapLimit(groups, concurrency, (g) => step(`the members of IAM group ${g.name}`, () => iam.groupMembers(g.name)))
      return {
        groups: groups.map((g, i) => ({ name: g.name, ...(g.created !== undefined ? { created: g.created } : {}), members: members[i]! })),
        problems: []
      }
    }
  }
}
