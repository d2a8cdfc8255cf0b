// Ended sessions' recordings from the session log and its rotated copies, read
// incrementally: what is new is read, a rotation or a copytruncate loses nothing.
import t from 'tap'
import { appendFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { endedSessions } from '../../src/ship/ended-sessions.ts'
import { sessionEnd, sessionStart, tempDir, writeLines } from '../audit/fixtures.ts'

const T = '2026-12-07T07:00:00.000Z'
const key = (user: string, session: string): string => `${user}/2026-12-07T07-00-00-000Z-${session}.cast`

t.test('end lines name the recordings; start lines, transfers and junk do not', async (t) => {
  const dir = tempDir(t)
  const log = join(dir, 'sessions.jsonl')
  writeLines(join(dir, 'sessions.jsonl.2.gz'), [sessionEnd('old', 'a0', T)], true)
  writeLines(join(dir, 'sessions.jsonl.1'), [sessionEnd('bob', 'b1', T)])
  writeLines(log, [sessionStart('alice', 'a1', T), sessionEnd('alice', 'a1', T), sessionEnd('carol', 'c1', T, { recording: null }), '{"event":"session-end" broken', '"session-end"', sessionEnd('dave', 'd1', T, { session: 7 })])
  const e = endedSessions(log)
  const ended = await e.scan()
  t.same([...ended.keys()].sort(), [key('alice', 'a1'), key('bob', 'b1'), key('dave', 'd1'), key('old', 'a0')])
  t.same(ended.get(key('alice', 'a1')), { session: 'a1' })
  t.same(ended.get(key('dave', 'd1')), { session: null })
  e.retain((k) => k.startsWith('alice/'))
  t.same([...(await e.scan()).keys()], [key('alice', 'a1')], 'forgotten ones are not read again')
})

t.test('a torn last line waits for its end; a rename rotation and a copytruncate lose nothing', async (t) => {
  const dir = tempDir(t)
  const log = join(dir, 'sessions.jsonl')
  const line = JSON.stringify(sessionEnd('alice', 'a1', T))
  writeFileSync(log, line.slice(0, 20))
  const e = endedSessions(log)
  t.equal((await e.scan()).size, 0)
  appendFileSync(log, line.slice(20) + '\n')
  t.same([...(await e.scan()).keys()], [key('alice', 'a1')])
  renameSync(log, `${log}.1`)
  writeLines(log, [sessionEnd('bob', 'b1', T)])
  appendFileSync(`${log}.1`, JSON.stringify(sessionEnd('alice', 'a2', T)) + '\n')
  t.same([...(await e.scan()).keys()].sort(), [key('alice', 'a1'), key('alice', 'a2'), key('bob', 'b1')])
  writeLines(log, [sessionEnd('eve', 'e1', T)])
  t.ok((await e.scan()).has(key('eve', 'e1')), 'a shorter file is read from its start')
  const long = JSON.stringify(sessionEnd('zed', 'z1', T, { command: 'x'.repeat(2 * 1024 * 1024) }))
  appendFileSync(log, long + '\n')
  t.ok((await e.scan()).has(key('zed', 'z1')), 'a line longer than a read')
})

t.test('an unreadable file is a warning, not an exception; no log at all is nothing', async (t) => {
  const dir = tempDir(t)
  const warnings: object[] = []
  writeFileSync(join(dir, 'sessions.jsonl.1.gz'), 'not gzip')
  t.equal((await endedSessions(join(dir, 'sessions.jsonl'), (w) => warnings.push(w)).scan()).size, 0)
  t.match(warnings, [{ msg: 'cannot read the session log', file: join(dir, 'sessions.jsonl.1.gz') }])
  t.equal((await endedSessions(join(dir, 'sessions.jsonl')).scan()).size, 0, 'no one to tell')
  t.equal((await endedSessions(join(dir, 'none', 'sessions.jsonl')).scan()).size, 0)
})
