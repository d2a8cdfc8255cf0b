import t from 'tap'
import { groupLines, quoted, type ReadDeps } from '../../src/audit/log-group.ts'
import { LogsCallError } from '../../src/audit/logs-api.ts'
import { denied, fakeLogs, logEvent, throttled, type FakeLogs } from './cloudwatch-fakes.ts'
import { collect } from './fixtures.ts'

const query = { region: 'eu-west-1', logGroupName: '/aws/eks/hyades/cluster', logStreamNamePrefix: 'kube-apiserver-audit', filterPattern: '{ $.user.username = "johnsmith" }', startTime: 1, endTime: 2 }

function deps (api: FakeLogs, sleeps: number[] = [], pages: string[] = []): ReadDeps {
  return {
    api,
    settings: { pageSize: 2, maxAttempts: 4, timeoutMs: 1000 },
    sleep: async (ms) => { sleeps.push(ms) },
    random: () => 1,
    progress: { page: (what, n, events) => { pages.push(`${what} ${n} ${events}`) } }
  }
}

async function all<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

t.test('every page is read, with the query as given, and lines keep their stream and place', async (t) => {
  const events = [1, 2, 3, 4, 5].map((n) => logEvent(n % 2 === 0 ? 'kube-apiserver-audit-b' : 'kube-apiserver-audit-a', { n, user: 'johnsmith' }))
  const api = fakeLogs({ [query.logGroupName]: events })
  const pages: string[] = []
  const state = { found: false }
  const lines = await all(groupLines(deps(api, [], pages), query, 'johnsmith', collect(), 'kubernetes (hyades)', state))
  t.same(lines.map((l) => (l.value as { n: number }).n), [1, 2, 3, 4, 5])
  t.same(lines.map((l) => `${l.stream} ${l.line}`), ['kube-apiserver-audit-a 1', 'kube-apiserver-audit-b 1', 'kube-apiserver-audit-a 2', 'kube-apiserver-audit-b 2', 'kube-apiserver-audit-a 3'])
  t.equal(lines[0]?.file, 'cloudwatch:eu-west-1:/aws/eks/hyades/cluster:kube-apiserver-audit-a')
  t.equal(api.calls.length, 3, 'three pages of two')
  t.same(api.calls.map((c) => c.nextToken), [undefined, '2', '4'])
  t.match(api.calls[0], { ...query, limit: 2 })
  t.same(pages, ['kubernetes (hyades) 1 2', 'kubernetes (hyades) 2 4', 'kubernetes (hyades) 3 5'])
  t.equal(state.found, true)
})

t.test('messages without the needle are not parsed; bad JSON is counted per stream', async (t) => {
  const api = fakeLogs({ g: [logEvent('s', { user: 'someone' }), logEvent('s', '{"user":"johnsmith", trunc'), logEvent('s', { user: 'johnsmith' })] })
  const w = collect()
  const lines = await all(groupLines(deps(api), { ...query, logGroupName: 'g' }, 'johnsmith', w, 'ssh sessions', { found: false }))
  t.same(lines.map((l) => l.line), [3])
  t.same(w.all, ['ssh sessions: cloudwatch:eu-west-1:g:s: line 2 skipped, not valid JSON'])
})

t.test('throttling is retried with exponential backoff, then the read goes on', async (t) => {
  const api = fakeLogs({ g: [logEvent('s', { user: 'johnsmith' })] })
  api.failures.push(throttled(), throttled(), new LogsCallError('InternalFailure', 'oops', 503))
  const sleeps: number[] = []
  const w = collect()
  const lines = await all(groupLines(deps(api, sleeps), { ...query, logGroupName: 'g' }, 'johnsmith', w, 'x', { found: false }))
  t.equal(lines.length, 1)
  t.same(sleeps, [200, 400, 800], 'doubling, from 200 ms')
  t.same(w.all, [])
})

t.test('throttling past maxAttempts is a warning saying how much was read', async (t) => {
  const api = fakeLogs({ g: [logEvent('s', { user: 'johnsmith' }), logEvent('s', { user: 'johnsmith' }), logEvent('s', { user: 'johnsmith' })] })
  const d = deps(api)
  const w = collect()
  const it = groupLines(d, { ...query, logGroupName: 'g' }, 'johnsmith', w, 'x', { found: false })
  const first = await it.next()
  t.equal(first.done, false)
  api.failures.push(throttled(), throttled(), throttled(), throttled())
  const rest = await all({ [Symbol.asyncIterator]: () => it })
  t.equal(rest.length, 1, 'the first page is kept')
  t.same(w.all, ['x: cannot read log group g in eu-west-1 (ThrottlingException: Rate exceeded (after 4 attempts)) after 2 events: the rest of it is left out'])
})

t.test('an error that is not throttling is not retried', async (t) => {
  const api = fakeLogs({ g: [] })
  api.failures.push(new LogsCallError('InvalidParameterException', 'bad pattern', 400))
  const w = collect()
  const state = { found: false }
  t.same(await all(groupLines(deps(api), { ...query, logGroupName: 'g' }, 'johnsmith', w, 'x', state)), [])
  t.equal(api.calls.length, 1)
  t.equal(state.found, false)
  t.match(w.all, [/cannot read log group g in eu-west-1 \(InvalidParameterException: bad pattern\) after 0 events/])
})

t.test('a plain Error from the adapter counts by its name', async (t) => {
  const api = fakeLogs({ g: [] })
  const err = new Error('socket hang up')
  err.name = 'TimeoutError'
  api.failures.push(err as LogsCallError)
  const sleeps: number[] = []
  t.same(await all(groupLines(deps(api, sleeps), { ...query, logGroupName: 'g' }, 'johnsmith', collect(), 'x', { found: false })), [])
  t.same(sleeps, [200], 'a timeout is retried')
})

t.test('a missing group is a warning, and nothing was found', async (t) => {
  const w = collect()
  const state = { found: false }
  t.same(await all(groupLines(deps(fakeLogs({})), query, 'johnsmith', w, 'kubernetes (hyades)', state)), [])
  t.equal(state.found, false)
  t.same(w.all, ['kubernetes (hyades): log group /aws/eks/hyades/cluster does not exist in eu-west-1: nothing from there'])
})

t.test('access denied is an error naming the permission and the group', async (t) => {
  const api = fakeLogs({ [query.logGroupName]: [] })
  api.failures.push(denied())
  await t.rejects(all(groupLines(deps(api), query, 'johnsmith', collect(), 'x', { found: false })), {
    code: 'BASTION_ADMIN_AUDIT_CLOUDWATCH_DENIED',
    message: /needs logs:FilterLogEvents on arn:aws:logs:eu-west-1:<account>:log-group:\/aws\/eks\/hyades\/cluster:\*/
  })
  const api2 = fakeLogs({})
  api2.failures.push(new LogsCallError('Forbidden', 'no', 403))
  await t.rejects(all(groupLines(deps(api2), query, 'johnsmith', collect(), 'x', { found: false })), { code: 'BASTION_ADMIN_AUDIT_CLOUDWATCH_DENIED' }, 'any 403')
})

t.test('filter pattern values are quoted, and a quote is refused', async (t) => {
  t.equal(quoted('johnsmith'), '"johnsmith"')
  t.throws(() => quoted('a"b'), /cannot put/)
  t.throws(() => quoted('a\\b'), /cannot put/)
})

t.test('by default it really waits between attempts', async (t) => {
  const api = fakeLogs({ g: [logEvent('s', { user: 'johnsmith' })] })
  api.failures.push(throttled())
  const lines = await all(groupLines({ api, settings: { pageSize: 10, maxAttempts: 2, timeoutMs: 1000 } }, { ...query, logGroupName: 'g' }, 'johnsmith', collect(), 'x', { found: false }))
  t.equal(lines.length, 1)
  t.equal(api.calls.length, 2)
})
