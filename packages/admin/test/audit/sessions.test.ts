import t from 'tap'
import { join } from 'node:path'
import { sessionEntries } from '../../src/audit/sessions.ts'
import { collect, sessionEnd, sessionStart, tempDir, writeLines } from './fixtures.ts'

t.test('a user\'s session starts and ends, with source, command and recording; not another user\'s', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'sessions.jsonl'), [
    sessionStart('bob', 's1', '2026-11-26T20:00:00.000Z'),
    sessionStart('bobby', 's2', '2026-11-26T20:00:01.000Z'),
    sessionStart('bob', 's3', '2026-11-26T20:00:02.000Z', { command: 'kubectl get pods', tty: false, recording: null, source: null }),
    sessionEnd('bob', 's1', '2026-11-26T20:00:05.000Z')
  ])
  const w = collect()
  const got = await sessionEntries(file, 'bob', w)
  t.same(w.all, [])
  t.same(got.map((e) => [e.session, e.event]), [['s1', 'start'], ['s3', 'start'], ['s1', 'end']])
  t.match(got[0], { kind: 'ssh', time: '2026-11-26T20:00:00.000Z', source: '127.0.0.1:40000', command: null, tty: true, recording: /\/recordings\/bob\/.*-s1\.cast$/, origin: { file, line: 1 } })
  t.match(got[1], { command: 'kubectl get pods', tty: false, recording: null, source: null })
  t.match(got[2], { exitCode: 0, durationMs: 5000, reason: 'exited' })
  t.notOk('exitCode' in (got[0] as object), 'a start has no exit code')
})

t.test('the person\'s stated reason is on both entries; a line without one (older, or shell.reason off) has none', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'sessions.jsonl'), [
    sessionStart('bob', 's1', '2026-11-26T20:00:00.000Z', { statedReason: 'INC-123' }),
    sessionEnd('bob', 's1', '2026-11-26T20:00:05.000Z', { statedReason: 'INC-123', reason: 'idle' }),
    sessionStart('bob', 's2', '2026-11-26T20:00:06.000Z', { statedReason: null }),
    sessionStart('bob', 's3', '2026-11-26T20:00:07.000Z')
  ])
  const got = await sessionEntries(file, 'bob', collect())
  t.match(got[0], { event: 'start', statedReason: 'INC-123' })
  t.match(got[1], { event: 'end', statedReason: 'INC-123', reason: 'idle' })
  t.notOk('statedReason' in (got[2] as object), 'null: none')
  t.notOk('statedReason' in (got[3] as object), 'absent: none')
})

t.test('a record with missing fields is skipped with a warning; a repeated line counts once', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'sessions.jsonl'), [
    sessionStart('bob', 's1', '2026-11-26T20:00:00.000Z'),
    sessionStart('bob', 's1', '2026-11-26T20:00:00.000Z'),
    { event: 'session-start', user: 'bob', time: 'yesterday', session: 's2', container: 'c' },
    { event: 'session-pause', user: 'bob', time: '2026-11-26T20:00:00.000Z', session: 's2', container: 'c' },
    ['bob'],
    sessionStart('bob', 's4', '2026-11-26T20:00:00.000Z', { source: { ip: '10.0.0.1' } })
  ])
  const w = collect()
  const got = await sessionEntries(file, 'bob', w)
  t.same(got.map((e) => e.session), ['s1', 's4'])
  t.equal(got[1]?.source, '10.0.0.1:?')
  t.same(w.all, [`ssh sessions: ${file}: 2 lines (3, 4) of bob skipped, not a session record`])
})
