// The cursor on disk: written whole or not at all, and a bad or foreign one not trusted.
import t from 'tap'
import { readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { cursorPath, loadCursor, newCursor, saveCursor, stateDirectory } from '../../src/ship/cursor.ts'
import { tempDir } from './fixtures.ts'

t.test('saved and loaded back; the state directory is root\'s alone; no temporary file is left', async (t) => {
  const dir = join(tempDir(t), 'state')
  await stateDirectory(dir)
  t.equal(statSync(dir).mode & 0o777, 0o700)
  chmodSync(dir, 0o755)
  await stateDirectory(dir)
  t.equal(statSync(dir).mode & 0o777, 0o700, 'tightened again')
  t.same(await loadCursor(dir, 'sessions', '/l/s.jsonl'), { cursor: newCursor('/l/s.jsonl') }, 'none yet: a new one, no note')
  const c = { ...newCursor('/l/s.jsonl'), shipped: 3 }
  await saveCursor(dir, 'sessions', c)
  t.same(readdirSync(dir), ['sessions.cursor.json'])
  t.equal(statSync(cursorPath(dir, 'sessions')).mode & 0o777, 0o600)
  t.same((await loadCursor(dir, 'sessions', '/l/s.jsonl')).cursor, c)
})

t.test('a cursor that is no cursor, or follows another file, starts afresh with a note', async (t) => {
  const dir = tempDir(t)
  writeFileSync(cursorPath(dir, 'credentials'), '{"torn')
  t.match(await loadCursor(dir, 'credentials', '/l/c.jsonl'), { cursor: newCursor('/l/c.jsonl'), note: /is not a cursor: \/l\/c\.jsonl and its rotated copies are shipped again/ })
  writeFileSync(cursorPath(dir, 'credentials'), '{"version":2}')
  t.match(await loadCursor(dir, 'credentials', '/l/c.jsonl'), { note: /is not a cursor/ })
  await saveCursor(dir, 'credentials', newCursor('/old/c.jsonl'))
  t.match(await loadCursor(dir, 'credentials', '/l/c.jsonl'), { cursor: newCursor('/l/c.jsonl'), note: /followed \/old\/c\.jsonl: \/l\/c\.jsonl is new/ })
  mkdirSync(cursorPath(dir, 'recordings'))
  await t.rejects(loadCursor(dir, 'recordings', '/x'), { code: 'EISDIR' }, 'unreadable for another reason: an error')
})
