// Finding the cursor's positions again among a log's files, by inode and first line.
import t from 'tap'
import type { LogFile } from '../../src/ship/files.ts'
import type { Position } from '../../src/ship/cursor.ts'
import { planLog } from '../../src/ship/plan.ts'

const file = (path: string, ino: number, size: number): LogFile => ({ path, compressed: path.endsWith('.gz'), dev: 1, ino, size })
const pos = (f: LogFile, head: string | null, offset: number, seen: number | null = f.size): Position =>
  ({ dev: f.dev, ino: f.ino, head, compressed: f.compressed, path: f.path, offset, seen, size: f.size })

t.test('an inode reused by a new file is not the old position: the old one is gone, the new file new', async (t) => {
  const old = file('/l/s.jsonl', 7, 100)
  const now = file('/l/s.jsonl', 7, 300)
  const plan = await planLog([now], [pos(old, 'A', 80)], async () => 'B')
  t.same(plan.gone, [{ position: pos(old, 'A', 80), unshipped: 20 }])
  t.same(plan.segments.map((s) => [s.file.path, s.position.offset, s.position.head]), [['/l/s.jsonl', 0, 'B']])
})

t.test('a file shorter than the offset is not the position (truncated), nor is a copy shorter than it', async (t) => {
  const live = file('/l/s.jsonl', 7, 10)
  const copy = file('/l/s.jsonl.1', 8, 50)
  const plan = await planLog([copy, live], [pos(file('/l/s.jsonl', 7, 100), 'A', 100)], async () => 'A')
  t.same(plan.gone.map((g) => g.unshipped), [0], 'fully shipped and gone: nothing lost')
  t.same(plan.segments.map((s) => s.file.path), ['/l/s.jsonl.1', '/l/s.jsonl'], 'with no position found, every file is new')
})

t.test('a position with no first line yet takes its file\'s; a .gz of unknown length keeps it unknown', async (t) => {
  const live = file('/l/s.jsonl', 7, 40)
  const plan = await planLog([live], [pos(file('/l/s.jsonl', 7, 0), null, 0)], async () => 'H')
  t.same(plan.segments[0]?.position, { ...pos(live, 'H', 0), seen: 40 })
  const gz = file('/l/s.jsonl.1.gz', 9, 30)
  const again = await planLog([gz], [pos(gz, 'H', 10, null)], async () => { throw new Error('not read: same inode and size') })
  t.equal(again.segments[0]?.position.seen, null)
  const gone = await planLog([], [pos(gz, 'H', 10, null)])
  t.same(gone.gone.map((g) => g.unshipped), [null], 'a .gz not read to its end, gone: unknown')
  const resized = await planLog([{ ...gz, size: 31 }], [pos(gz, 'H', 10, 25)], async () => 'H')
  t.equal(resized.segments[0]?.position.seen, null, 'a .gz rewritten: its length is read again')
})

t.test('files older than the newest one found are not new; several found keep their files\' order', async (t) => {
  const a = file('/l/s.jsonl.2', 1, 10)
  const b = file('/l/s.jsonl.1', 2, 10)
  const c = file('/l/s.jsonl', 3, 10)
  const plan = await planLog([a, b, c], [pos(c, 'C', 10), pos(b, 'B', 10)], async (f) => f === a ? 'A' : f === b ? 'B' : 'C')
  t.same(plan.segments.map((s) => s.file.path), ['/l/s.jsonl.1', '/l/s.jsonl'])
})
