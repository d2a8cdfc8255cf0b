// npm run bench:rbacsync: one cluster (the test bed's sandbox kube-apiserver) with 50
// namespaces and 500 users in moto's IAM (an account of the bench's own). It times the
// first run (every role, mapping, Role and binding made) and converged runs, and
// counts their API calls, reads and writes, per API. Beside them, in the same run:
// the same reads issued raw (no planning, one list call each), and the 500 GETs a
// per-user design would need at least.
import { CreateGroupCommand, GetGroupCommand, ListGroupsCommand, ListRolesCommand } from '@aws-sdk/client-iam'
import { median, printTable, type Row } from '../fixtures/bench-table.ts'
import { addUser, createNamespace, sandbox, sync, wipe, writeConfig } from '../integration/rbacsync/fixtures/sandbox.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyncReport } from '@bastion/rbacsync'

const NAMESPACES = 50
const USERS = 500
const CONVERGED_RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CLUSTER = 'bench'
const TIERS = ['admin', 'poweruser', 'user']

async function timedSync (config: string): Promise<{ ms: number, report: SyncReport }> {
  const t0 = performance.now()
  const report = await sync(config)
  const ms = performance.now() - t0
  if (!report.ok) throw new Error(`the run reported problems: ${JSON.stringify(report.problems.slice(0, 3))}`)
  return { ms, report }
}

const s = await sandbox('220000000001')
try {
  console.error('setting up: wiping the sandbox, 50 namespaces, 153 groups, 500 users...')
  await wipe(s)
  const spaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${String(i).padStart(2, '0')}`)
  for (const n of spaces) await createNamespace(s, n)
  const groups = [...TIERS.map((t) => `k8s-${t}@${CLUSTER}`), ...spaces.flatMap((n) => TIERS.map((t) => `k8s-${t}@${CLUSTER}@${n}`))]
  for (const g of groups) await s.iam.send(new CreateGroupCommand({ GroupName: g, Path: '/k8s-access/' }))
  // Everyone is a user in one namespace; every fifth a poweruser of the cluster; every
  // 25th an admin of another namespace.
  for (let i = 0; i < USERS; i++) {
    const g = [`k8s-user@${CLUSTER}@${spaces[i % NAMESPACES]!}`]
    if (i % 5 === 0) g.push(`k8s-poweruser@${CLUSTER}`)
    if (i % 25 === 0) g.push(`k8s-admin@${CLUSTER}@${spaces[(i + 7) % NAMESPACES]!}`)
    await addUser(s, `user${String(i).padStart(3, '0')}`, ...g)
  }
  const config = writeConfig(mkdtempSync(join(tmpdir(), 'bench-rbacsync-')), s, { cluster: CLUSTER, kubeconfig: s.kubeconfig, namespaces: ['bench-*'] })

  console.error('first run...')
  const first = await timedSync(config)
  const converged: Array<{ ms: number, report: SyncReport }> = []
  for (let i = 0; i < CONVERGED_RUNS; i++) converged.push(await timedSync(config))
  const conv = converged[converged.length - 1]!.report
  const convMs = median(converged.map((c) => c.ms))

  // The floor: the same reads issued raw, one after the other, nothing planned.
  const raw: number[] = []
  for (let i = 0; i < CONVERGED_RUNS; i++) {
    const t0 = performance.now()
    const listed = (await s.iam.send(new ListGroupsCommand({}))).Groups ?? []
    for (let j = 0; j < listed.length; j += 8) await Promise.all(listed.slice(j, j + 8).map((g) => s.iam.send(new GetGroupCommand({ GroupName: g.GroupName! }))))
    await s.iam.send(new ListRolesCommand({ PathPrefix: '/k8s-access/', MaxItems: 1000 }))
    await Promise.all(['/api/v1/namespaces', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      '/apis/rbac.authorization.k8s.io/v1/roles', '/apis/rbac.authorization.k8s.io/v1/rolebindings', '/api', '/apis',
      '/api/v1/namespaces/kube-system/configmaps/aws-auth'].map((p) => s.kube.get(p)))
    raw.push(performance.now() - t0)
  }
  const rawMs = median(raw)

  const rows: Row[] = [
    [`first run: ${first.report.users} users, ${NAMESPACES} namespaces (s)`, (first.ms / 1000).toFixed(1), '-', 'target < 20 s'],
    ['  API calls: reads / writes', `${first.report.reads} / ${first.report.writes}`, '-', `${first.report.actions.length} changes`],
    [`converged run (median of ${CONVERGED_RUNS}, s)`, (convMs / 1000).toFixed(2), (rawMs / 1000).toFixed(2), `${(convMs / rawMs).toFixed(2)}x the same reads issued raw (target < 20 s)`],
    ['  writes', String(conv.writes), '0', `target 0; every converged run: ${converged.map((c) => c.report.writes).join(', ')}`],
    ['  reads', String(conv.reads), String(USERS), `${(conv.reads / USERS).toFixed(2)} per user (a per-user GET would be >= 1)`]
  ]
  console.log(`bench:rbacsync, ${new Date().toISOString().slice(0, 10)}: sandbox kube-apiserver + moto IAM on this machine\n`)
  printTable('rbacsync', rows)
  console.log('\nAPI calls by API:\n')
  const apis = [...new Set([...first.report.calls, ...conv.calls].map((c) => `${c.kind} ${c.api}`))].sort()
  const count = (r: SyncReport, key: string): number => r.calls.find((c) => `${c.kind} ${c.api}` === key)?.calls ?? 0
  printTable('first / converged', apis.map((k): Row => [k, `${count(first.report, k)} / ${count(conv, k)}`, '-', '']))
  if (conv.writes !== 0) process.exitCode = 1
} finally {
  await wipe(s).catch((err: unknown) => { console.error(`wiping after the bench failed: ${String(err)}`) })
  await s.close()
}
