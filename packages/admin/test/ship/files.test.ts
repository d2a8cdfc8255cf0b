// A log's files and their lines, plain and gzipped.
import t from 'tap'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { HEAD_BYTES, headOf, linesFrom, logFiles, plainLength } from '../../src/ship/files.ts'
import { tempDir } from './fixtures.ts'

const all = async (gen: AsyncGenerator<unknown>): Promise<unknown[]> => { const out = []; for await (const x of gen) out.push(x); return out }

t.test('the live file and its copies, oldest first; what is not a regular file is left out', async (t) => {
  const dir = tempDir(t)
  const live = join(dir, 's.jsonl')
  writeFileSync(`${live}.2.gz`, gzipSync('a\n'))
  writeFileSync(`${live}.1`, 'b\n')
  writeFileSync(live, 'c\n')
  mkdirSync(`${live}-20261201`)
  symlinkSync('/nonexistent', `${live}.3`)
  const files = await logFiles(live)
  t.same(files.map((f) => [f.path.slice(dir.length + 1), f.compressed, f.size]), [['s.jsonl.2.gz', true, gzipSync('a\n').length], ['s.jsonl.1', false, 2], ['s.jsonl', false, 2]])
  t.same(await logFiles(join(dir, 'none', 'x.jsonl')), [])
})

t.test('the head is the first line, or the first 64 KiB of a longer one; none while incomplete', async (t) => {
  const dir = tempDir(t)
  const p = join(dir, 'f')
  writeFileSync(p, 'abc')
  t.equal(await headOf(p, false), null)
  writeFileSync(p, 'abc\ndef\n')
  const h = await headOf(p, false)
  writeFileSync(`${p}.gz`, gzipSync('abc\nzzz\n'))
  t.equal(await headOf(`${p}.gz`, true), h, 'a .gz has its plain first line\'s')
  writeFileSync(p, 'x'.repeat(HEAD_BYTES + 10))
  const long = await headOf(p, false)
  writeFileSync(p, 'x'.repeat(HEAD_BYTES) + 'y\n')
  t.equal(await headOf(p, false), long)
})

t.test('lines from an offset: complete ones only, too long ones as their length, then the length read', async (t) => {
  const dir = tempDir(t)
  const p = join(dir, 'f')
  writeFileSync(p, 'one\n\ntoolong\nthree\nfou')
  t.same(await all(linesFrom({ path: p, compressed: false }, 0, 5)), [{ text: 'one', end: 4 }, { text: '', end: 5 }, { oversized: 7, end: 13 }, { text: 'three', end: 19 }, { length: 22 }])
  t.same(await all(linesFrom({ path: p, compressed: false }, 13, 5)), [{ text: 'three', end: 19 }, { length: 22 }])
  writeFileSync(`${p}.gz`, gzipSync('one\n\ntoolong\nthree\nfou'))
  t.same(await all(linesFrom({ path: `${p}.gz`, compressed: true }, 5, 5)), [{ oversized: 7, end: 13 }, { text: 'three', end: 19 }, { length: 22 }])
  t.equal(await plainLength({ path: `${p}.gz`, compressed: true, size: 0 }), 22)
  t.equal(await plainLength({ path: p, compressed: false, size: 22 }), 22)
  // A long line across chunks (64 KiB each) is still one line.
  writeFileSync(p, 'a'.repeat(200_000) + '\nb\n')
  t.same((await all(linesFrom({ path: p, compressed: false }, 0, 300_000))).map((x) => 'text' in (x as object) ? (x as { text: string }).text.length : x), [200_000, 1, { length: 200_003 }])
  t.same((await all(linesFrom({ path: p, compressed: false }, 0, 100_000))), [{ oversized: 200_000, end: 200_001 }, { text: 'b', end: 200_003 }, { length: 200_003 }])
  writeFileSync(`${p}.bad.gz`, 'not gzip')
  await t.rejects(all(linesFrom({ path: `${p}.bad.gz`, compressed: true }, 0, 10)))
  await t.rejects(all(linesFrom({ path: join(dir, 'missing.gz'), compressed: true }, 0, 10)))
})
