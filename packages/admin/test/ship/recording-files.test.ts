// Listing and opening recordings without following a link anywhere.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { listRecordings, openRecording } from '../../src/ship/recording-files.ts'
import { tempDir } from '../audit/fixtures.ts'

const NAME = '2026-12-07T07-00-00-000Z-0123456789ab.cast'

t.test('only real user directories and regular recording files are listed', async (t) => {
  const dir = tempDir(t)
  const elsewhere = tempDir(t)
  mkdirSync(join(dir, 'alice'))
  writeFileSync(join(dir, 'alice', NAME), 'x\n')
  writeFileSync(join(dir, 'alice', 'notes.txt'), '')
  mkdirSync(join(dir, 'alice', 'sub.cast'))
  writeFileSync(join(dir, 'alice', '-bad.cast'), '')
  symlinkSync('/etc/passwd', join(dir, 'alice', 'p.cast'))
  symlinkSync(elsewhere, join(dir, 'mallory'))
  mkdirSync(join(dir, '.hidden'))
  writeFileSync(join(dir, 'stray.cast'), '')
  const { files, refused } = await listRecordings(dir)
  t.match(files, [{ user: 'alice', file: NAME, path: join(dir, 'alice', NAME), size: 2 }])
  t.same(refused.map((r) => [r.path, r.why]).sort(), [
    [join(dir, '.hidden'), 'not a name usable in an S3 key'],
    [join(dir, 'alice', '-bad.cast'), 'not a recording\'s file name'],
    [join(dir, 'alice', 'p.cast'), 'a symbolic link, not followed'],
    [join(dir, 'mallory'), 'a symbolic link, not followed']
  ].sort())
  t.same(await listRecordings(join(dir, 'none')), { files: [], refused: [] })
  await t.rejects(listRecordings(join(dir, 'stray.cast')), { code: 'ENOTDIR' })
})

t.test('a recording opens as the very file listed: its bytes, its hash, and whether it changed', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, NAME)
  writeFileSync(path, 'hello\n')
  const rec = await openRecording(path)
  t.teardown(() => rec.fh.close())
  t.equal(rec.size, 6)
  t.equal(await rec.sha256(), createHash('sha256').update('hello\n').digest('hex'))
  t.equal((await rec.bytes()).toString(), 'hello\n')
  const chunks: Buffer[] = []
  for await (const c of rec.stream()) chunks.push(c as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'hello\n')
  t.equal(await rec.unchanged(), true)
  writeFileSync(path, 'hello, more\n')
  t.equal(await rec.unchanged(), false)
  writeFileSync(join(dir, 'empty.cast'), '')
  const empty = await openRecording(join(dir, 'empty.cast'))
  t.teardown(() => empty.fh.close())
  t.equal(await empty.sha256(), createHash('sha256').digest('hex'))
})

t.test('a link, at the file or on the way, or a directory, is refused', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'real'))
  writeFileSync(join(dir, 'real', NAME), 'x')
  symlinkSync(join(dir, 'real', NAME), join(dir, 'link.cast'))
  await t.rejects(openRecording(join(dir, 'link.cast')), { code: 'ELOOP' })
  symlinkSync(join(dir, 'real'), join(dir, 'alice'))
  await t.rejects(openRecording(join(dir, 'alice', NAME)), { code: 'BASTION_LINK' })
  renameSync(join(dir, 'real', NAME), join(dir, 'real', 'x'))
  mkdirSync(join(dir, 'real', NAME))
  await t.rejects(openRecording(join(dir, 'real', NAME)), { code: 'BASTION_NOT_A_FILE' })
})
