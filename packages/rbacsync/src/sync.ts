// One reconciliation: observe, plan, and (unless dry-run) apply. The report says what
// was planned, what was done, what could not be read or written, and how many API
// calls of each kind it took.
import type { Logger } from 'pino'
import type { IamPort } from './iam/iam-api.ts'
import { defaultClusterSettings, type ClusterSyncSettings, type RbacsyncConfig } from './config/schema.ts'
import type { Problem } from './errors.ts'
import { applyPlan, describeAction, type ActionResult } from './reconcile/apply.ts'
import type { Action } from './reconcile/actions.ts'
import type { CallCount, Meter } from './reconcile/meter.ts'
import { observe, type ClusterSource } from './reconcile/observe.ts'
import { makePlan, type PlanSettings } from './reconcile/plan.ts'
import { fitGroupQuota } from './reconcile/quota.ts'

export interface SyncDeps {
  iam: IamPort
  sources: readonly ClusterSource[]
  meter: Meter
  log: Logger
  now?: () => number
}

export interface SyncReport {
  dryRun: boolean
  // What failed reads held back, one sentence each; everything else went ahead.
  heldBack: string[]
  users: number
  actions: Action[]
  results: ActionResult[]
  problems: Problem[]
  calls: CallCount[]
  reads: number
  writes: number
  durationMs: number
  // No problem of severity error.
  ok: boolean
}

export function planSettings (config: Readonly<RbacsyncConfig>): PlanSettings {
  const r = config.rbacsync
  return {
    iamPath: r.iam.path,
    partition: config.aws.partition,
    accountId: config.aws.accountId,
    trustedPrincipalArns: r.iam.trustedPrincipalArns,
    maxSessionDuration: r.iam.maxSessionDurationSeconds,
    clusters: config.clusters.map((c) => ({ name: c.name, settings: clusterSettings(config, c.name) }))
  }
}

export function clusterSettings (config: Readonly<RbacsyncConfig>, name: string): ClusterSyncSettings {
  return config.rbacsync.clusters[name] ?? defaultClusterSettings()
}

export async function runSync (config: Readonly<RbacsyncConfig>, deps: SyncDeps, options: { dryRun: boolean }): Promise<SyncReport> {
  const now = deps.now ?? Date.now
  const started = now()
  const r = config.rbacsync
  const observation = await observe(deps.iam, r.iam.path, deps.sources, r.iam.concurrency)
  const planned = makePlan(observation, planSettings(config))
  const fitted = await fitGroupQuota(planned.actions, () => deps.iam.groupQuota())
  const plan = { ...planned, actions: fitted.actions, problems: [...planned.problems, ...fitted.problems] }
  for (const p of observation.failures) deps.log.error({ code: p.code, subject: p.subject }, p.message)
  for (const line of plan.heldBack) deps.log.warn(line)
  let results: ActionResult[] = []
  const problems = [...plan.problems]
  if (!options.dryRun && plan.actions.length > 0) {
    const applied = await applyPlan(plan.actions, deps.iam, observation, {
      iamPath: r.iam.path,
      trustedPrincipalArns: r.iam.trustedPrincipalArns,
      maxSessionDuration: r.iam.maxSessionDurationSeconds,
      concurrency: r.iam.concurrency,
      conflictRetries: r.kubernetes.conflictRetries
    })
    results = applied.results
    problems.push(...applied.problems)
    for (const res of results) {
      if (res.ok) deps.log.info({ action: res.action.op }, describeAction(res.action))
      else deps.log.error({ action: res.action.op, error: res.error }, `failed: ${describeAction(res.action)}`)
    }
  }
  return {
    dryRun: options.dryRun,
    heldBack: plan.heldBack,
    users: plan.users,
    actions: plan.actions,
    results,
    problems,
    calls: deps.meter.snapshot(),
    reads: deps.meter.total('read'),
    writes: deps.meter.total('write'),
    durationMs: now() - started,
    ok: problems.every((p) => p.severity !== 'error')
  }
}
