// The order `bastion audit --verify` reads a rotated set in: the order it was written.
import t from 'tap'
import { gzipSync } from 'node:zlib'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendChained } from '../../../shell/src/audit-chain.ts'
import { chronological, verifySessionLog } from '../../src/audit/verify.ts'
import { tempDir } from './fixtures.ts'

t.test('numbered copies oldest first, then dated ones, then the file itself', async (t) => {
  const p = '/var/log/bastion/sessions.jsonl'
  t.same(chronological(p, [p, `${p}.1`, `${p}.10.gz`, `${p}.2.gz`]), [`${p}.10.gz`, `${p}.2.gz`, `${p}.1`, p])
  t.same(chronological(p, [p, `${p}-20261127`, `${p}-20261126`]), [`${p}-20261126`, `${p}-20261127`, p])
  t.same(chronological(p, [`${p}.1`]), [`${p}.1`], 'the file itself may be missing')
})

t.test('a chain over a gzipped copy, a numbered one and the file holds; the first break is named; no file at all is undefined', async (t) => {
  const dir = tempDir(t)
  const log = join(dir, 'sessions.jsonl')
  for (let i = 0; i < 2; i++) appendChained(log, { i })
  writeFileSync(`${log}.2.gz`, gzipSync(readFileSync(log)))
  writeFileSync(log, '')
  for (let i = 2; i < 4; i++) appendChained(log, { i })
  renameSync(log, `${log}.1`)
  for (let i = 4; i < 6; i++) appendChained(log, { i })
  const ok = await verifySessionLog(log)
  t.same(ok, { files: [`${log}.2.gz`, `${log}.1`, log], lines: 6, unchained: 0 })
  writeFileSync(log, readFileSync(log, 'utf8').replace('"i":4', '"i":40'))
  t.match(await verifySessionLog(log), { lines: 6, broken: { file: log, line: 2, why: /does not match the line before/ } })
  t.equal(await verifySessionLog(join(dir, 'none.jsonl')), undefined)
})
