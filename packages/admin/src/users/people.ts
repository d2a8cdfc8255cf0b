// Who may use the bastion, from IAM: the members of rbacsync's access groups
// (k8s-<tier>@C[@N] under its IAM path) and each one's active SSH public keys, the
// ones `aws iam upload-ssh-public-key` adds (and CodeCommit uses). A read is complete
// or it throws: a failed page never becomes a shorter list.
import { parseGroupName } from '@bastion/rbacsync'
import type { NamespaceHeld, Person } from './plan.ts'

export interface IamReader {
  groups (pathPrefix: string): Promise<Array<{ name: string, path: string }>>
  members (group: string): Promise<string[]>
  // Active keys only, as key id -> the key's SSH-encoded body, fetched only for ids not in `known`.
  activeKeys (user: string, known: ReadonlyMap<string, string>): Promise<Map<string, string>>
}

export interface PeopleRead {
  people: Person[]
  // Key id -> body, for the next run to skip GetSSHPublicKey of keys it has seen.
  bodies: Map<string, string>
}

export async function readPeople (iam: IamReader, path: string, known: ReadonlyMap<string, string>): Promise<PeopleRead> {
  const groups = (await iam.groups(path)).filter((g) => g.path === path && parseGroupName(g.name) !== undefined)
  const names = new Set<string>()
  // The namespaces each one holds through a namespace-tier group (k8s-<tier>@C@N).
  const held = new Map<string, NamespaceHeld[]>()
  for (const g of groups) {
    const grant = parseGroupName(g.name)
    for (const m of await iam.members(g.name)) {
      names.add(m)
      if (grant?.namespace !== undefined) held.set(m, [...(held.get(m) ?? []), { cluster: grant.cluster, namespace: grant.namespace }])
    }
  }
  const people: Person[] = []
  const bodies = new Map<string, string>()
  for (const iamName of [...names].sort()) {
    const keys = await iam.activeKeys(iamName, known)
    for (const [id, body] of keys) bodies.set(id, body)
    people.push({ iamName, keys: [...keys.values()], namespaces: held.get(iamName) ?? [] })
  }
  return { people, bodies }
}
