// What a run prints.
import t from 'tap'
import { diffLine, formatReport, reportJson } from '../src/report.ts'
import type { SyncReport } from '../src/sync.ts'
import { ownedMeta } from '../src/model/marks.ts'

const binding = (names: string[], ns?: string) => ({ kind: 'RoleBinding' as const, metadata: ownedMeta('k8s-user@h@n', ns), subjects: names.map((name) => ({ kind: 'User', name })) })
const intent = { desired: new Map(), keep: new Set<string>(), prune: true }

t.test('one diff line per action: + create, ~ update, - delete', async (t) => {
  t.same([
    diffLine({ op: 'createGroup', group: 'g' }),
    diffLine({ op: 'deleteGroup', group: 'g' }),
    diffLine({ op: 'createRole', role: 'r', user: 'r' }),
    diffLine({ op: 'updateTrust', role: 'r', user: 'r' }),
    diffLine({ op: 'updateMaxSession', role: 'r', seconds: 7200 }),
    diffLine({ op: 'deleteRole', role: 'r', user: 'r' }),
    diffLine({ op: 'createObject', cluster: 'h', object: binding(['a'], 'n') }),
    diffLine({ op: 'createObject', cluster: 'h', object: { kind: 'ClusterRole', metadata: ownedMeta('k8s-user@h') } }),
    diffLine({ op: 'replaceObject', cluster: 'h', object: binding(['a', 'c'], 'n'), before: binding(['a', 'b'], 'n') }),
    diffLine({ op: 'replaceObject', cluster: 'h', object: { kind: 'ClusterRole', metadata: ownedMeta('k8s-user@h'), rules: [] }, before: { kind: 'ClusterRole', metadata: ownedMeta('k8s-user@h') } }),
    diffLine({ op: 'deleteObject', cluster: 'h', object: binding([], 'n') }),
    diffLine({ op: 'updateAwsAuth', cluster: 'h', intent, added: ['a'], updated: ['b'], removed: ['c'] }),
    diffLine({ op: 'updateAwsAuth', cluster: 'h', intent, added: [], updated: [], removed: [] }),
    diffLine({ op: 'createAccessEntry', cluster: 'h', principalArn: 'arn:r', user: 'u' }),
    diffLine({ op: 'deleteAccessEntry', cluster: 'h', principalArn: 'arn:r', user: 'u' })
  ], [
    '+ iam group g', '- iam group g', '+ iam role r', '~ iam role r: trust policy', '~ iam role r: MaxSessionDuration 7200', '- iam role r',
    '+ h: RoleBinding n/k8s-user@h@n subjects +a', '+ h: ClusterRole k8s-user@h', '~ h: RoleBinding n/k8s-user@h@n subjects +c -b',
    '~ h: ClusterRole k8s-user@h rules', '- h: RoleBinding n/k8s-user@h@n', '~ h: aws-auth +a ~b -c', '~ h: aws-auth (our ownership list)',
    '+ h: access entry arn:r as u', '- h: access entry arn:r'
  ])
})

const report = (o: Partial<SyncReport>): SyncReport => ({
  dryRun: false, heldBack: [], users: 2, actions: [], results: [], problems: [], calls: [{ api: 'iam:ListGroups', kind: 'read', calls: 1 }], reads: 1, writes: 0, durationMs: 1234, ok: true, ...o
})

t.test('a converged run says so, with the calls it took', async (t) => {
  t.equal(formatReport(report({}), 'sync'), 'no changes: in sync\n2 user(s) with access; API calls: 1 read(s), 0 write(s) in 1.23 s\n  read  iam:ListGroups                       1')
})

t.test('applied, failed, dry run, diff, problems and a failed read all show', async (t) => {
  const a = { op: 'createGroup' as const, group: 'g' }
  const b = { op: 'deleteRole' as const, role: 'r', user: 'r' }
  const applied = formatReport(report({ actions: [a, b], results: [{ action: a, ok: true }, { action: b, ok: false, error: 'denied' }], heldBack: ['hyades could not be read in full: nothing on it was changed'], ok: false, problems: [{ code: 'BASTION_RBACSYNC_READ_FAILED', severity: 'error', subject: 'hyades', message: 'could not read x' }] }), 'sync')
  t.match(applied, /^1 change\(s\) applied, 1 failed:\n {2}\+ iam group g\n {2}- iam role r\nheld back: hyades could not be read in full: nothing on it was changed\nproblems:\n {2}error BASTION_RBACSYNC_READ_FAILED \[hyades\] could not read x\n/)
  t.match(formatReport(report({ actions: [a], dryRun: true }), 'sync'), /^1 change\(s\) to make \(dry run: nothing written\):/)
  t.match(formatReport(report({ actions: [a], dryRun: true }), 'diff'), /^1 change\(s\) to make:/)
  t.match(formatReport(report({ dryRun: true }), 'diff'), /^no changes: in sync/)
})

t.test('the JSON report has the diff lines, what failed and the counts', async (t) => {
  const b = { op: 'deleteRole' as const, role: 'r', user: 'r' }
  t.same(reportJson(report({ actions: [b], results: [{ action: b, ok: false, error: 'denied' }] })), {
    ok: true, dryRun: false, heldBack: [], users: 2, changes: ['- iam role r'], failed: [{ action: 'delete IAM role r', error: 'denied' }], problems: [], calls: [{ api: 'iam:ListGroups', kind: 'read', calls: 1 }], reads: 1, writes: 0, durationMs: 1234
  })
})
