// The read half of a run: everything the plan needs, from IAM and from every cluster,
// with each failed read recorded (a failure on any page fails that whole read). A
// cluster with a failed read has no state, and the plan leaves it alone; discovery that
// missed some API groups is the one partial read: the cluster keeps its state, marked
// with what discovery missed, so that only the tiers' rules wait for it.
import type { IamPort, IamRole } from '../iam/iam-api.ts'
import { iamPeople } from '../people/iam-people.ts'
import { PeopleReadError, step, type AccessGroup, type PeopleSource } from '../people/people-source.ts'
import type { KubePort } from '../kube/api.ts'
import type { ConfigMap, RbacObject } from '../kube/objects.ts'
import { RBAC_KINDS } from '../kube/objects.ts'
import { DiscoveryIncomplete } from '../kube/discovery.ts'
import { AWS_AUTH, AwsAuthInvalid, editAwsAuth } from '../mapping/aws-auth.ts'
import type { AccessEntriesPort } from '../mapping/access-entries.ts'
import type { ClusterSyncSettings } from '../config/schema.ts'
import type { ApiResource } from '../model/tiers.ts'
import { describeError, problem, type ErrorCode, type Problem } from '../errors.ts'

export interface IamState {
  // The source's access groups (IAM: every group under our path), with their members.
  groups: AccessGroup[]
  // Roles under our path.
  roles: IamRole[]
  // The source's groups are ours to create and delete (IAM groups; not Identity Center's).
  ownsGroups?: boolean
  // People the source left out, and why.
  peopleProblems?: Problem[]
}

export interface ClusterState {
  namespaces: string[]
  // Each namespace's uid, by name.
  namespaceUids: Map<string, string>
  // When each namespace was made, by name (when the server says).
  namespaceCreated?: Map<string, string>
  resources: ApiResource[]
  // Group versions API discovery could not read: the tiers' rules wait for them.
  discoveryMissing: string[]
  objects: RbacObject[]
  // aws-auth mode: the ConfigMap (undefined when it does not exist).
  awsAuth?: ConfigMap | undefined
  // access-entries mode: the principal ARNs that have an entry.
  accessEntries?: string[]
}

export interface ClusterPorts {
  kube: KubePort
  accessEntries?: AccessEntriesPort
}

// One configured cluster, and how to open a connection to it.
export interface ClusterSource {
  name: string
  settings: ClusterSyncSettings
  open (): Promise<ClusterPorts>
}

export interface Observation {
  iam: IamState | undefined
  clusters: Map<string, ClusterState | undefined>
  ports: Map<string, ClusterPorts>
  failures: Problem[]
}

// `people` is where people and groups come from; by default, IAM groups under iamPath.
export async function observe (iam: IamPort, iamPath: string, sources: readonly ClusterSource[], concurrency: number, people: PeopleSource = iamPeople(iam, iamPath, concurrency)): Promise<Observation> {
  const failures: Problem[] = []
  const fail = (subject: string, what: string, err: unknown, code: ErrorCode = err instanceof AwsAuthInvalid ? 'BASTION_RBACSYNC_AWS_AUTH_INVALID' : 'BASTION_RBACSYNC_READ_FAILED'): undefined => {
    failures.push(problem(code, subject, `could not read ${what}: ${describeError(err)}`))
    return undefined
  }
  const ports = new Map<string, ClusterPorts>()
  const [iamState, ...clusterStates] = await Promise.all([
    readIam(iam, people, iamPath).catch((err: unknown) => fail('iam', err instanceof PeopleReadError ? err.what : 'IAM', err instanceof PeopleReadError ? err.cause : err)),
    ...sources.map(async (source) => {
      let p: ClusterPorts
      try {
        p = await source.open()
      } catch (err) {
        return fail(source.name, 'how to reach the cluster', err, 'BASTION_RBACSYNC_CLUSTER_UNREACHABLE')
      }
      ports.set(source.name, p)
      return readCluster(source, p, (what, err) => fail(source.name, what, err))
    })
  ])
  return { iam: iamState, clusters: new Map(sources.map((s, i) => [s.name, clusterStates[i]])), ports, failures }
}

async function readIam (iam: IamPort, people: PeopleSource, path: string): Promise<IamState> {
  const [read, roles] = await Promise.all([
    people.read(),
    step(`IAM roles under ${path}`, () => iam.listRoles(path))
  ])
  return { groups: read.groups, roles: roles.filter((r) => r.path === path), ownsGroups: people.ownsGroups, peopleProblems: read.problems }
}

async function readCluster (source: ClusterSource, p: ClusterPorts, fail: (what: string, err: unknown) => undefined): Promise<ClusterState | undefined> {
  let ok = true
  const read = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try { return await fn() } catch (err) { ok = false; return fail(what, err) }
  }
  const mapping = source.settings.identityMapping
  let discoveryMissing: string[] = []
  const [namespaces, resources, lists, awsAuth, accessEntries] = await Promise.all([
    read('namespaces', () => p.kube.listNamespaces()),
    read('API discovery', () => p.kube.discover().catch((err: unknown) => {
      if (!(err instanceof DiscoveryIncomplete)) throw err
      discoveryMissing = err.missing
      fail('API discovery in full (the tiers\' rules there are left as they are; everything else is synced)', err)
      return err.resources
    })),
    Promise.all(RBAC_KINDS.map((k) => read(`${k} objects`, () => p.kube.list(k)))),
    mapping === 'aws-auth'
      ? read('kube-system/aws-auth', async () => {
        const cm = await p.kube.getConfigMap(AWS_AUTH.namespace, AWS_AUTH.name)
        editAwsAuth(cm, { desired: new Map(), keep: new Set(), prune: false }) // throws when we could not edit it safely
        return cm
      })
      : undefined,
    mapping === 'access-entries'
      ? read('EKS access entries', async () => {
        if (p.accessEntries === undefined) throw new Error('no EKS client for the access-entries mapping')
        return p.accessEntries.list(source.name)
      })
      : undefined
  ])
  if (!ok) return undefined
  const state: ClusterState = {
    namespaces: namespaces!.map((n) => n.name),
    namespaceUids: new Map(namespaces!.map((n) => [n.name, n.uid])),
    namespaceCreated: new Map(namespaces!.flatMap((n) => n.created !== undefined ? [[n.name, n.created] as const] : [])),
    resources: resources!,
    discoveryMissing,
    objects: lists.flatMap((l) => l!)
  }
  if (mapping === 'aws-auth') state.awsAuth = awsAuth
  else state.accessEntries = accessEntries ?? []
  return state
}
