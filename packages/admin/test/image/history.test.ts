// The history file: read back as written, bounded, and never overwritten when it is
// not one this suite wrote.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HISTORY_FORMAT, HISTORY_LIMIT, readHistory, writeHistory, type HistoryEntry } from '../../src/image/history.ts'

const entry = (n: number): HistoryEntry => ({ ref: `r:${n}`, id: `sha256:${n}`, at: '2026-11-26T00:00:00.000Z', how: 'build' })

t.test('no file is an empty history; a written one reads back', async (t) => {
  const path = join(t.testdir({}), 'state', 'h.json')
  t.same(await readHistory(path), [])
  await writeHistory(path, [entry(1), { ...entry(2), how: 'found' }])
  t.same(await readHistory(path), [entry(1), { ...entry(2), how: 'found' }])
  t.equal(JSON.parse(readFileSync(path, 'utf8')).format, HISTORY_FORMAT)
})

t.test('only the newest entries are kept', async (t) => {
  const path = join(t.testdir({}), 'h.json')
  await writeHistory(path, Array.from({ length: HISTORY_LIMIT + 5 }, (_, i) => entry(i)))
  const h = await readHistory(path)
  t.equal(h.length, HISTORY_LIMIT)
  t.equal(h[0]?.ref, 'r:5')
})

t.test('a file that is not ours is HISTORY_INVALID and left alone', async (t) => {
  const dir = t.testdir({
    garbage: 'not json',
    other: JSON.stringify({ format: 'someone-else/1', images: [] }),
    badEntry: JSON.stringify({ format: HISTORY_FORMAT, images: [{ ref: 'a', id: 1 }] }),
    dir: {}
  })
  await t.rejects(readHistory(join(dir, 'garbage')), { code: 'BASTION_ADMIN_IMAGE_HISTORY_INVALID', message: /is not JSON/ })
  await t.rejects(readHistory(join(dir, 'other')), { code: 'BASTION_ADMIN_IMAGE_HISTORY_INVALID', message: /move it away/ })
  await t.rejects(readHistory(join(dir, 'badEntry')), { code: 'BASTION_ADMIN_IMAGE_HISTORY_INVALID' })
  await t.rejects(readHistory(join(dir, 'dir')), { code: 'BASTION_ADMIN_IMAGE_HISTORY_INVALID', message: /cannot read/ })
  t.equal(readFileSync(join(dir, 'garbage'), 'utf8'), 'not json')
})
