import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { jsonLines, lineCount, rotatedSet, skippedRecords } from '../../src/audit/log-files.ts'
import { collect, tempDir, writeLines } from './fixtures.ts'

const all = async <T> (it: AsyncIterable<T>): Promise<T[]> => { const out: T[] = []; for await (const x of it) out.push(x); return out }

t.test('rotatedSet finds logrotate\'s and kube-apiserver\'s rotated copies, and nothing else', async (t) => {
  const dir = tempDir(t)
  for (const n of ['audit.log', 'audit.log.1', 'audit.log.2.gz', 'audit.log-20261125', 'audit.log-20261124.gz',
    'audit-2026-11-26T20-53-32.123.log', 'audit-2026-11-25T01-00-00.000.log.gz',
    'audit.log.bak', 'other.log', 'audit.log.1.tmp', 'audit-x.log', 'audit.logfile']) writeFileSync(join(dir, n), '')
  const { files, missing } = await rotatedSet(join(dir, 'audit.log'))
  t.equal(missing, false)
  t.same(files.map((f) => f.slice(dir.length + 1)), [
    'audit.log',
    'audit-2026-11-25T01-00-00.000.log.gz', 'audit-2026-11-26T20-53-32.123.log',
    'audit.log-20261124.gz', 'audit.log-20261125', 'audit.log.1', 'audit.log.2.gz'
  ])
})

t.test('rotatedSet: a live file gone after rotation still yields the rotated copies', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'sessions.jsonl.1'), '')
  t.same(await rotatedSet(join(dir, 'sessions.jsonl')), { files: [join(dir, 'sessions.jsonl.1')], missing: false })
  t.same(await rotatedSet(join(dir, 'nothing.jsonl')), { files: [], missing: true })
  t.same(await rotatedSet(join(dir, 'no-such-dir', 'x.jsonl')), { files: [], missing: true })
})

t.test('jsonLines reads plain and gzipped files, only lines that mention the needle', async (t) => {
  const dir = tempDir(t)
  writeLines(join(dir, 'a.jsonl'), [{ user: 'alice', n: 1 }, { user: 'bob', n: 2 }])
  writeLines(join(dir, 'a.jsonl.1.gz'), [{ user: 'alice', n: 0 }], true)
  const w = collect()
  const got = await all(jsonLines(join(dir, 'a.jsonl'), 'alice', w, 'test'))
  t.same(got.map((l) => l.value), [{ user: 'alice', n: 1 }, { user: 'alice', n: 0 }])
  t.same(got.map((l) => [l.file.slice(dir.length + 1), l.line]), [['a.jsonl', 1], ['a.jsonl.1.gz', 1]])
  t.same(w.all, [])
  const either = await all(jsonLines(join(dir, 'a.jsonl'), ['bob', 'carol'], w, 'test'))
  t.same(either.map((l) => l.value), [{ user: 'bob', n: 2 }], 'several needles: a line with any of them')
})

t.test('a line that is not JSON is skipped and counted in one warning, the rest is read', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'a.jsonl'), [{ user: 'alice', n: 1 }, '{"user":"alice", truncat', '', 'alice \u0000 garbage', { user: 'alice', n: 2 }])
  const w = collect()
  const got = await all(jsonLines(file, 'alice', w, 'ssh sessions'))
  t.same(got.map((l) => l.value), [{ user: 'alice', n: 1 }, { user: 'alice', n: 2 }])
  t.same(w.all, [`ssh sessions: ${file}: 2 lines (2, 4) skipped, not valid JSON`])
})

t.test('a missing file and an unreadable one are warnings, never exceptions', async (t) => {
  const dir = tempDir(t)
  const w = collect()
  t.same(await all(jsonLines(join(dir, 'gone.jsonl'), 'alice', w, 'credentials')), [])
  t.match(w.all[0], /credentials: .*gone\.jsonl does not exist \(nor any rotated copy\)/)
  mkdirSync(join(dir, 'dir.jsonl'))
  t.same(await all(jsonLines(join(dir, 'dir.jsonl'), 'alice', w, 'credentials')), [])
  t.match(w.all[1], /cannot read .*dir\.jsonl \(EISDIR\) after 0 lines/)
})

t.test('a corrupt .gz keeps the lines read before the damage and warns', async (t) => {
  const dir = tempDir(t)
  writeLines(join(dir, 'a.jsonl'), [{ user: 'alice' }])
  writeFileSync(join(dir, 'a.jsonl.1.gz'), Buffer.from('not gzip at all'))
  const w = collect()
  const got = await all(jsonLines(join(dir, 'a.jsonl'), 'alice', w, 'test'))
  t.equal(got.length, 1)
  t.match(w.all[0], /cannot read .*a\.jsonl\.1\.gz \(Z_DATA_ERROR\)/)
})

t.test('lineCount names one line, or a few of many', async (t) => {
  t.equal(lineCount([7]), 'line 7')
  t.equal(lineCount([2, 9]), '2 lines (2, 9)')
  t.equal(lineCount([2, 9, 40, 41]), '4 lines (2, 9, 40, ...)')
})

t.test('skippedRecords: one warning per file that had records of the wrong shape', async (t) => {
  const w = collect()
  const skipped = skippedRecords(w, 'credentials', 'carol', 'a credential-issued record')
  skipped.report()
  t.same(w.all, [], 'nothing skipped, nothing said')
  skipped.add('/a', 3)
  skipped.add('/b', 1)
  skipped.add('/a', 8)
  skipped.report()
  t.same(w.all, ['credentials: /a: 2 lines (3, 8) of carol skipped, not a credential-issued record', 'credentials: /b: line 1 of carol skipped, not a credential-issued record'])
})
