// The recordings state and index: written whole, read back, and a bad one said.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendIndex, loadState, saveState, STATE_FILE } from '../../src/ship/recordings-state.ts'
import { tempDir } from '../audit/fixtures.ts'

t.test('a state saved is loaded back, with no temporary file left; none yet is empty', async (t) => {
  const dir = join(tempDir(t), 'ship')
  t.same(await loadState(dir), { version: 1, uploaded: {} })
  const entry = { size: 1, mtimeMs: 2, sha256: 'ab', key: 'k', version: 1, at: 'now' }
  await saveState(dir, { version: 1, uploaded: { 'alice/x.cast': entry } })
  t.same((await loadState(dir)).uploaded['alice/x.cast'], entry)
  t.notOk(existsSync(join(dir, `${STATE_FILE}.tmp`)))
})

t.test('a state that is not one, or cannot be read, throws', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, STATE_FILE), '{"version":1,"uploaded":null}')
  await t.rejects(loadState(dir), /not a recordings state/)
  writeFileSync(join(dir, STATE_FILE), 'null')
  await t.rejects(loadState(dir), /not a recordings state/)
  await t.rejects(loadState(join(dir, STATE_FILE)), { code: 'ENOTDIR' })
})

t.test('the index gets one JSON line per call', async (t) => {
  const file = join(tempDir(t), 'ship', 'recordings-index.jsonl')
  await appendIndex(file, { a: 1 })
  await appendIndex(file, { b: 2 })
  t.equal(readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n')
})
