// The write half of a run: the plan's actions, phase by phase (see actions.ts), each
// phase with bounded concurrency. A failed write is reported and the run goes on with
// whatever does not depend on it: a user whose role could not be created is neither
// mapped nor bound, and a role whose mapping could not be removed is not deleted.
import type { IamPort } from '../iam/iam-api.ts'
import { trustPolicy } from '../iam/trust-policy.ts'
import { isConflict } from '../kube/api.ts'
import type { RbacObject } from '../kube/objects.ts'
import { AWS_AUTH, editAwsAuth } from '../mapping/aws-auth.ts'
import { OWNER_TAG, USER_TAG_KEY } from '../model/marks.ts'
import { describeError, problem, RbacsyncError, type ErrorCode, type Problem } from '../errors.ts'
import { phaseOf, type Action } from './actions.ts'
import { mapLimit } from './limit.ts'
import { upToDate } from './rbac-objects.ts'
import type { ClusterPorts, Observation } from './observe.ts'

export interface ApplySettings {
  iamPath: string
  trustedPrincipalArns: readonly string[]
  maxSessionDuration: number
  concurrency: number
  conflictRetries: number
}

export interface ActionResult {
  action: Action
  ok: boolean
  // Why it failed, or why it was not attempted.
  error?: string
  code?: ErrorCode
}

export async function applyPlan (actions: readonly Action[], iam: IamPort, obs: Observation, s: ApplySettings): Promise<{ results: ActionResult[], problems: Problem[] }> {
  const results: ActionResult[] = []
  const problems: Problem[] = []
  const noRole = new Set<string>()
  const stillMapped = new Set<string>()
  const ports = (cluster: string): ClusterPorts => {
    const p = obs.ports.get(cluster)
    if (p === undefined) throw new Error(`no connection to cluster ${cluster}`)
    return p
  }

  const run = async (a: Action): Promise<void> => {
    switch (a.op) {
      case 'createGroup': return iam.createGroup(a.group, s.iamPath)
      case 'deleteGroup': return iam.deleteGroup(a.group)
      case 'createRole': return iam.createRole({
        name: a.role,
        path: s.iamPath,
        trustPolicy: trustPolicy(s.trustedPrincipalArns, a.user),
        maxSessionDuration: s.maxSessionDuration,
        description: `Kubernetes access of ${a.user}, managed by bastion-rbacsync`,
        tags: [{ ...OWNER_TAG }, { Key: USER_TAG_KEY, Value: a.user }]
      })
      case 'updateTrust': return iam.updateTrustPolicy(a.role, trustPolicy(s.trustedPrincipalArns, a.user))
      case 'updateMaxSession': return iam.updateMaxSessionDuration(a.role, a.seconds)
      case 'deleteRole': return iam.deleteRole(a.role)
      case 'createObject': return ports(a.cluster).kube.create(withoutUsers(a.object, noRole))
      case 'replaceObject': {
        const object = withoutUsers(a.object, noRole)
        if (object !== a.object && upToDate(a.before, object)) return
        return ports(a.cluster).kube.replace(object)
      }
      case 'deleteObject': return ports(a.cluster).kube.remove(a.object)
      case 'updateAwsAuth': return updateAwsAuth(a, ports(a.cluster), obs.clusters.get(a.cluster)?.awsAuth, noRole, s.conflictRetries)
      case 'createAccessEntry': return ports(a.cluster).accessEntries!.create(a.cluster, { principalArn: a.principalArn, username: a.user, tags: { [OWNER_TAG.Key]: OWNER_TAG.Value } })
      case 'deleteAccessEntry': {
        const entries = ports(a.cluster).accessEntries!
        const entry = await entries.describe(a.cluster, a.principalArn)
        if (entry.tags[OWNER_TAG.Key] !== OWNER_TAG.Value) {
          throw new RbacsyncError('BASTION_RBACSYNC_FOREIGN_CONFLICT', `access entry ${a.principalArn} is under our path but not tagged ${OWNER_TAG.Key}=${OWNER_TAG.Value}: left in place`)
        }
        return entries.remove(a.cluster, a.principalArn)
      }
    }
  }

  // Why an action must not run, given what failed before it.
  const blocked = (a: Action): string | undefined => {
    if (a.op === 'createAccessEntry' && noRole.has(a.user)) return `the role of ${a.user} could not be created`
    if (a.op === 'deleteRole' && stillMapped.has(a.user)) return `the mapping of ${a.user} could not be removed on every cluster`
    return undefined
  }

  const phases = [...new Set(actions.map(phaseOf))].sort((a, b) => a - b)
  for (const phase of phases) {
    const batch = actions.filter((a) => phaseOf(a) === phase)
    const done = await mapLimit(batch, s.concurrency, async (a): Promise<ActionResult> => {
      const why = blocked(a)
      if (why !== undefined) return { action: a, ok: false, error: `not attempted: ${why}` }
      try {
        await run(a)
        return { action: a, ok: true }
      } catch (err) {
        return { action: a, ok: false, error: describeError(err), ...(err instanceof RbacsyncError ? { code: err.code } : {}) }
      }
    })
    for (const r of done) {
      results.push(r)
      if (r.ok) continue
      const a = r.action
      if (a.op === 'createRole') noRole.add(a.user)
      if (a.op === 'deleteAccessEntry') stillMapped.add(a.user)
      if (a.op === 'updateAwsAuth') for (const u of a.removed) stillMapped.add(u)
      const code = r.code ?? (a.op === 'updateAwsAuth' && /retries/.test(r.error ?? '') ? 'BASTION_RBACSYNC_AWS_AUTH_CONFLICT' : isEntityExists(r.error) ? 'BASTION_RBACSYNC_FOREIGN_CONFLICT' : 'BASTION_RBACSYNC_WRITE_FAILED')
      problems.push(problem(code, 'cluster' in a ? a.cluster : 'iam', `${describeAction(a)}: ${r.error ?? 'failed'}`))
    }
  }
  return { results, problems }
}

// A binding without the users whose role could not be created: a name nobody maps is
// still a name someone else's mapping could use.
function withoutUsers (o: RbacObject, users: ReadonlySet<string>): RbacObject {
  if (o.subjects === undefined || !o.subjects.some((s) => s.kind === 'User' && users.has(s.name))) return o
  return { ...o, subjects: o.subjects.filter((s) => !(s.kind === 'User' && users.has(s.name))) }
}

function isEntityExists (error: string | undefined): boolean {
  return /EntityAlreadyExists/.test(error ?? '')
}

// Re-read and retry on a concurrent edit (409), recomputing our entries against what
// the other writer left; never overwrite it.
async function updateAwsAuth (a: Extract<Action, { op: 'updateAwsAuth' }>, p: ClusterPorts, observed: Parameters<typeof editAwsAuth>[0], noRole: ReadonlySet<string>, retries: number): Promise<void> {
  const desired = new Map([...a.intent.desired].filter(([, user]) => !noRole.has(user)))
  const intent = { ...a.intent, desired }
  let current = observed
  for (let attempt = 0; ; attempt++) {
    const edit = editAwsAuth(current, intent)
    if (!edit.changed) return
    try {
      await p.kube.writeConfigMap(edit.configMap)
      return
    } catch (err) {
      if (!isConflict(err) || attempt >= retries) {
        if (isConflict(err)) throw new RbacsyncError('BASTION_RBACSYNC_AWS_AUTH_CONFLICT', `aws-auth changed under us ${attempt + 1} times; retries exhausted`, { cause: err })
        throw err
      }
    }
    current = await p.kube.getConfigMap(AWS_AUTH.namespace, AWS_AUTH.name)
  }
}

export function describeAction (a: Action): string {
  switch (a.op) {
    case 'createGroup': return `create IAM group ${a.group}`
    case 'deleteGroup': return `delete IAM group ${a.group}`
    case 'createRole': return `create IAM role ${a.role}`
    case 'updateTrust': return `update the trust policy of IAM role ${a.role}`
    case 'updateMaxSession': return `set MaxSessionDuration of IAM role ${a.role} to ${a.seconds}`
    case 'deleteRole': return `delete IAM role ${a.role}`
    case 'createObject': case 'replaceObject': case 'deleteObject': {
      const verb = a.op === 'createObject' ? 'create' : a.op === 'replaceObject' ? 'update' : 'delete'
      const ns = a.object.metadata.namespace
      return `${verb} ${a.object.kind} ${ns === undefined ? '' : `${ns}/`}${a.object.metadata.name ?? ''} on ${a.cluster}`
    }
    case 'updateAwsAuth': return `update aws-auth on ${a.cluster}`
    case 'createAccessEntry': return `create access entry for ${a.principalArn} on ${a.cluster}`
    case 'deleteAccessEntry': return `delete access entry for ${a.principalArn} on ${a.cluster}`
  }
}
