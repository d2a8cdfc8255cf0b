// The session log's hash chain: each line names the hash of the one before; several
// processes appending at once keep it whole; a change, a line taken out or put in, a
// cut start or a torn line is found at the line where it shows.
import t from 'tap'
import { execFile } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { appendChained, ChainChecker, fileLock, lastLine, lineHash, type ChainLock } from '../src/audit-chain.ts'

const WRITER = fileURLToPath(new URL('./fixtures/chain-writer.ts', import.meta.url))
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
const check = (ls: string[]): Array<{ line: number, why: string }> => {
  const c = new ChainChecker()
  c.startFile()
  return ls.map((l) => c.check(l)).filter((b) => b !== undefined)
}

t.test('the first line has prev null, each next one the hash of the line before', async (t) => {
  const file = join(t.testdir(), 's.jsonl')
  appendChained(file, { a: 1 })
  appendChained(file, { a: 2 })
  appendChained(file, { a: 3 })
  const [l1, l2, l3] = lines(file)
  t.same(JSON.parse(l1 as string), { a: 1, prev: null })
  t.equal(JSON.parse(l2 as string).prev, lineHash(l1 as string))
  t.equal(JSON.parse(l3 as string).prev, lineHash(l2 as string))
  t.same(check(lines(file)), [])
})

t.test('eight processes appending at once leave one unbroken chain', async (t) => {
  const file = join(t.testdir(), 's.jsonl')
  await Promise.all(Array.from({ length: 8 }, (_, w) => promisify(execFile)(process.execPath, [WRITER, file, `w${w}`, '40'])))
  const all = lines(file)
  t.equal(all.length, 320, 'every line is there')
  t.same(check(all), [], 'and chained to the one before it')
})

t.test('the last line is found however long it is, and a torn one is ended first', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 's.jsonl')
  const long = JSON.stringify({ command: 'y'.repeat(200_000) })
  writeFileSync(file, `{"a":1}\n${long}\n`)
  const fd = openSync(file, 'r')
  t.same(lastLine(fd).line?.toString(), long)
  closeSync(fd)
  appendChained(file, { a: 2 })
  t.equal(JSON.parse(lines(file)[2] as string).prev, lineHash(long))
  const torn = join(dir, 't.jsonl')
  writeFileSync(torn, '{"a":1,"prev":null}\n{"a":2,"pr')
  appendChained(torn, { a: 3 })
  const ls = lines(torn)
  t.equal(ls.length, 3, 'the torn line stays a line of its own')
  t.equal(JSON.parse(ls[2] as string).prev, lineHash('{"a":2,"pr'))
  t.same(check(ls), [{ line: 2, why: 'the line is not JSON (cut, or written over)' }], 'and the checker names it')
})

t.test('a lock that cannot be had leaves the file as it was: the caller fails closed', async (t) => {
  const file = join(t.testdir(), 's.jsonl')
  appendChained(file, { a: 1 })
  const busy: ChainLock = { take: () => { throw Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED' }) } }
  t.throws(() => appendChained(file, { a: 2 }, busy), { code: 'ELOCKED' })
  t.equal(lines(file).length, 1)
})

t.test('the real lock waits for its holder, and gives up after its timeout', async (t) => {
  const file = join(t.testdir(), 's.jsonl')
  const release = fileLock.take(file, 1000)
  const t0 = Date.now()
  t.throws(() => fileLock.take(file, 100), { code: 'ELOCKED' })
  t.ok(Date.now() - t0 >= 100, 'it tried for its timeout')
  release()
  fileLock.take(file, 100)()
  t.pass('free again once released')
})

t.test('the checker finds each kind of edit at the line where it shows', async (t) => {
  const file = join(t.testdir(), 's.jsonl')
  for (let i = 1; i <= 5; i++) appendChained(file, { i })
  const ls = lines(file)
  t.same(check(ls), [])
  const changed = [...ls]
  changed[1] = (changed[1] as string).replace('"i":2', '"i":7')
  t.match(check(changed), [{ line: 3, why: /does not match the line before/ }], 'a changed line shows at the next')
  t.match(check([...ls.slice(0, 2), ...ls.slice(3)]), [{ line: 3, why: /does not match/ }], 'a line taken out')
  t.match(check([...ls.slice(0, 2), JSON.stringify({ i: 9, prev: lineHash(ls[1] as string) }), ...ls.slice(2)]), [{ line: 4, why: /does not match/ }], 'a line put in shows at the line after it')
  t.match(check([...ls.slice(0, 2), JSON.stringify({ i: 9 }), ...ls.slice(2)]), [{ line: 3, why: /no "prev"/ }, { line: 4 }], 'an unchained line after the chain began')
  t.match(check(ls.slice(2)), [{ line: 1, why: /start of the file was cut/ }], 'a cut start')
  t.match(check([...ls.slice(0, 2), JSON.stringify({ i: 9, prev: null })]), [{ line: 3, why: /null in the middle/ }])
  const upgraded = join(t.testdir(), 'u.jsonl')
  writeFileSync(upgraded, '{"old":1}\n{"old":2}\n')
  appendChained(upgraded, { i: 1 })
  appendChained(upgraded, { i: 2 })
  t.same(check(lines(upgraded)), [], 'lines from before the chain may come first')
  const c = new ChainChecker()
  c.startFile()
  for (const l of lines(upgraded)) c.check(l)
  t.equal(c.unchained, 2)
  t.equal(c.lines, 4)
  const prior = new ChainChecker()
  prior.startFile(ls[1] as string)
  t.same(prior.check(ls[2] as string), undefined, 'a file may start where the one before it ended')
  t.match(prior.check('[1]'), { line: 2, why: /no "prev"/ })
})
