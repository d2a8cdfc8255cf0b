// Managed files: compared first, written only when content, owner or mode differ,
// through a temporary file renamed into place.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { diffFile, putFile } from '../../src/setup/files.ts'
import { scratchDir } from './fixtures.ts'

t.test('a missing file is created, with its directories, mode and root owner', async (t) => {
  const dir = scratchDir(t)
  const want = { path: join(dir, 'a/b/unit.service'), content: 'x\n', mode: 0o644 }
  t.equal(await diffFile(want), `create ${want.path}`)
  t.equal(await putFile(want), `wrote ${want.path}`)
  t.equal(readFileSync(want.path, 'utf8'), 'x\n')
  const st = statSync(want.path)
  t.equal(st.mode & 0o7777, 0o644)
  t.equal(st.uid, 0)
  t.same(readdirSync(join(dir, 'a/b')), ['unit.service'], 'no temporary file is left')
})

t.test('the same file is left alone, mtime and all', async (t) => {
  const dir = scratchDir(t)
  const want = { path: join(dir, 'f'), content: 'same', mode: 0o440 }
  await putFile(want)
  const before = statSync(want.path).mtimeMs
  t.equal(await diffFile(want), undefined)
  t.equal(await putFile(want), undefined)
  t.equal(statSync(want.path).mtimeMs, before)
})

t.test('other content is replaced; another mode or owner is only fixed', async (t) => {
  const dir = scratchDir(t)
  const want = { path: join(dir, 'f'), content: 'new', mode: 0o755 }
  writeFileSync(want.path, 'old', { mode: 0o755 })
  t.equal(await diffFile(want), `update ${want.path}`)
  t.equal(await putFile(want), `updated ${want.path}`)
  t.equal(readFileSync(want.path, 'utf8'), 'new')

  chmodSync(want.path, 0o777)
  t.equal(await putFile(want), `set owner root:root and mode 755 on ${want.path}`)
  t.equal(statSync(want.path).mode & 0o7777, 0o755)
  chownSync(want.path, 1234, 1234)
  t.equal(await diffFile(want), `set owner root:root and mode 755 on ${want.path}`)
  await putFile(want)
  t.equal(statSync(want.path).uid, 0)
  t.equal(statSync(want.path).gid, 0)
})

t.test('a symlink or a directory in the way is replaced by a regular file', async (t) => {
  const dir = scratchDir(t)
  writeFileSync(join(dir, 'target'), 'new')
  symlinkSync(join(dir, 'target'), join(dir, 'link'))
  const want = { path: join(dir, 'link'), content: 'new', mode: 0o644 }
  t.equal(await diffFile(want), `replace ${want.path} (not a regular file)`)
  t.equal(await putFile(want), `replaced ${want.path}`)
  t.ok(statSync(want.path).isFile())
  mkdirSync(join(dir, 'd'))
  await t.rejects(putFile({ path: join(dir, 'd'), content: '', mode: 0o644 }), 'a directory is not overwritten by rename')
  t.same(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'the temporary file is removed after a failure')
})

t.test('bytes are compared as bytes: two binaries that read the same as broken UTF-8 still differ', async (t) => {
  const dir = scratchDir(t)
  const want = { path: join(dir, 'agent'), content: Buffer.from([0x7f, 0x45, 0xff, 0x00]), mode: 0o755 }
  writeFileSync(want.path, Buffer.from([0x7f, 0x45, 0xfe, 0x00]), { mode: 0o755 })
  t.equal(readFileSync(want.path, 'utf8'), want.content.toString('utf8'), 'as text they are the same')
  t.equal(await diffFile(want), `update ${want.path}`)
  t.equal(await putFile(want), `updated ${want.path}`)
  t.ok(readFileSync(want.path).equals(want.content))
  t.equal(await diffFile(want), undefined)
})
