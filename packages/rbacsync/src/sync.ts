// One reconciliation: observe, plan, and (unless dry-run) apply. The report says what
// was planned, what was done, what could not be read or written, and how many API
// calls of each kind it took.
import type { Logger } from 'pino'
import type { IamPort } from './iam/iam-api.ts'
import type { PeopleSource } from './people/people-source.ts'
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
  // Where people and groups come from; default: IAM groups under rbacsync.iam.path.
  people?: PeopleSource
  // One per cluster to sync: the listed ones, then the discovered ones.
  sources: readonly ClusterSource[]
  // What discovery found missing or could not read (none when it is off).
  discovery?: DiscoveryOutcome
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

export interface DiscoveryOutcome {
  problems: Problem[]
  heldBack: string[]
  // Every region's ListClusters answered: a cluster nobody lists and none of them has is gone.
  complete: boolean
}

// The plan's settings; `discovered` are the clusters discovery added to the list.
export function planSettings (config: Readonly<RbacsyncConfig>, discovered: readonly string[] = [], discoveryComplete = false): PlanSettings {
  const r = config.rbacsync
  return {
    iamPath: r.iam.path,
    partition: config.aws.partition,
    accountId: config.aws.accountId,
    trustedPrincipalArns: r.iam.trustedPrincipalArns,
    maxSessionDuration: r.iam.maxSessionDurationSeconds,
    clusters: [...config.clusters.map((c) => c.name), ...discovered].map((name) => ({ name, settings: clusterSettings(config, name) })),
    reportGone: config.rbacsync.discover.regions.length > 0 && discoveryComplete
  }
}

export function clusterSettings (config: Readonly<RbacsyncConfig>, name: string): ClusterSyncSettings {
  return config.rbacsync.clusters[name] ?? defaultClusterSettings()
}

export async function runSync (config: Readonly<RbacsyncConfig>, deps: SyncDeps, options: { dryRun: boolean }): Promise<SyncReport> {
  const now = deps.now ?? Date.now
  const started = now()
  const r = config.rbacsync
  const observation = await observe(deps.iam, r.iam.path, deps.sources, r.iam.concurrency, deps.people)
  const listed = new Set(config.clusters.map((c) => c.name))
  const discovered = deps.sources.map((s) => s.name).filter((n) => !listed.has(n))
  const planned = makePlan(observation, planSettings(config, discovered, deps.discovery?.complete ?? true))
  const fitted = await fitGroupQuota(planned.actions, () => deps.iam.groupQuota())
  const found = deps.discovery ?? { problems: [], heldBack: [] }
  const plan = { ...planned, actions: fitted.actions, problems: [...found.problems, ...planned.problems, ...fitted.problems], heldBack: [...found.heldBack, ...planned.heldBack] }
  for (const p of found.problems) deps.log.error({ code: p.code, subject: p.subject }, p.message)
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
