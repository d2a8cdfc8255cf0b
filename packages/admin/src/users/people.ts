// Who may use the bastion: the members of the access groups (k8s-<tier>@C[@N]), as
// rbacsync's shared reader of people and groups gives them (IAM groups under its path,
// or an Identity Center identity store), each with their SSH public keys from the key
// source of that kind of person. A read is complete or it throws: a failed page never
// becomes a shorter list.
import { parseGroupName, type PeopleSource } from '@bastion/rbacsync'
import type { NamespaceHeld, Person } from './plan.ts'

export interface KeySource {
  // Bodies are remembered between runs (.key-bodies.json), as fetching one costs a call.
  readonly remembers: boolean
  // The person's usable keys, as key id -> the key's SSH-encoded body; `known` are
  // bodies by id from earlier runs.
  activeKeys (name: string, known: ReadonlyMap<string, string>): Promise<Map<string, string>>
}

// One person's keys cannot be trusted: they get none, and the run goes on (any other
// error of a key source fails the whole read).
export class KeyFileRefused extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'KeyFileRefused'
  }
}

export interface PeopleRead {
  people: Person[]
  // Key id -> body, for the next run to skip GetSSHPublicKey of keys it has seen.
  bodies: Map<string, string>
  // People the source left out (names it could not map, or that collide), and why.
  problems: string[]
}

export async function readPeople (source: PeopleSource, keys: KeySource, known: ReadonlyMap<string, string>): Promise<PeopleRead> {
  const read = await source.read()
  const names = new Set<string>()
  // The namespaces each one holds through a namespace-tier group (k8s-<tier>@C@N).
  const held = new Map<string, NamespaceHeld[]>()
  for (const g of read.groups) {
    const grant = parseGroupName(g.name)
    if (grant === undefined) continue
    for (const m of g.members) {
      names.add(m)
      if (grant.namespace !== undefined) held.set(m, [...(held.get(m) ?? []), { cluster: grant.cluster, namespace: grant.namespace }])
    }
  }
  const people: Person[] = []
  const bodies = new Map<string, string>()
  const problems = read.problems.map((p) => p.message)
  for (const iamName of [...names].sort()) {
    const found = await keys.activeKeys(iamName, known).catch((err: unknown) => {
      if (!(err instanceof KeyFileRefused)) throw err
      problems.push(`${iamName}: ${err.message}`)
      return new Map<string, string>()
    })
    if (keys.remembers) for (const [id, body] of found) bodies.set(id, body)
    people.push({ iamName, keys: [...found.values()], namespaces: held.get(iamName) ?? [] })
  }
  return { people, bodies, problems }
}
