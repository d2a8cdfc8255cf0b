// Files others read while they change are replaced whole, and an unchanged one is not
// touched at all.
import t from 'tap'
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { writeAtomically, writeIfChanged } from '../../src/kubeconfig/atomic-write.ts'

t.test('a new file is written with the mode asked for, in a directory made on the way', async (t) => {
  const dir = t.testdir({})
  const path = join(dir, 'kube', 'config')
  t.equal(await writeIfChanged(path, 'a: 1\n', 0o644), true)
  t.equal(readFileSync(path, 'utf8'), 'a: 1\n')
  t.equal(statSync(path).mode & 0o777, 0o644)
  t.same(readdirSync(join(dir, 'kube')), ['config'], 'no temporary file is left')
})

t.test('the same content is not written again: same inode, same mtime', async (t) => {
  const dir = t.testdir({ config: 'a: 1\n' })
  const path = join(dir, 'config')
  chmodSync(path, 0o644)
  const before = statSync(path)
  t.equal(await writeIfChanged(path, 'a: 1\n', 0o644), false)
  const after = statSync(path)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs])
})

t.test('new content replaces the file by rename: a reader holding the old one keeps it whole', async (t) => {
  const dir = t.testdir({ config: 'old\n' })
  const path = join(dir, 'config')
  const before = statSync(path).ino
  t.equal(await writeIfChanged(path, 'new\n', 0o644), true)
  t.not(statSync(path).ino, before, 'a new inode')
  t.equal(readFileSync(path, 'utf8'), 'new\n')
})

t.test('only the mode differs: it is fixed in place', async (t) => {
  const dir = t.testdir({ config: 'a\n' })
  const path = join(dir, 'config')
  chmodSync(path, 0o600)
  t.equal(await writeIfChanged(path, 'a\n', 0o644, { dryRun: true }), true, 'a dry run reports it')
  t.equal(statSync(path).mode & 0o777, 0o600, 'and changes nothing')
  t.equal(await writeIfChanged(path, 'a\n', 0o644), true)
  t.equal(statSync(path).mode & 0o777, 0o644)
})

t.test('a dry run reports a change and writes nothing', async (t) => {
  const dir = t.testdir({ config: 'old\n' })
  t.equal(await writeIfChanged(join(dir, 'config'), 'new\n', 0o644, { dryRun: true }), true)
  t.equal(readFileSync(join(dir, 'config'), 'utf8'), 'old\n')
  t.equal(await writeIfChanged(join(dir, 'absent'), 'x', 0o644, { dryRun: true }), true)
  t.same(readdirSync(dir), ['config'])
})

t.test('an unreadable path is an error, and a failed write leaves the old file and no temporary', async (t) => {
  const dir = t.testdir({ sub: { config: 'old\n' } })
  await t.rejects(writeIfChanged(join(dir, 'sub'), 'x', 0o644), { code: 'EISDIR' })
  await t.rejects(writeAtomically(join(dir, 'sub', 'config', 'deeper'), 'x', 0o644), { code: /ENOTDIR|EEXIST/ })
  t.equal(readFileSync(join(dir, 'sub', 'config'), 'utf8'), 'old\n')
  t.same(readdirSync(join(dir, 'sub')), ['config'])
})

t.test('a rename that fails leaves the target and no temporary file', async (t) => {
  const dir = t.testdir({ target: { occupied: 'x' } })
  await t.rejects(writeAtomically(join(dir, 'target'), 'y', 0o644), { code: /EISDIR|ENOTEMPTY|EEXIST/ })
  t.same(readdirSync(dir), ['target'])
  t.same(readdirSync(join(dir, 'target')), ['occupied'])
})

t.test('the owner can be kept', async (t) => {
  const dir = t.testdir({ f: 'x' })
  const path = join(dir, 'f')
  await writeAtomically(path, 'y', 0o640, { uid: 1234, gid: 4321 })
  const s = statSync(path)
  t.same([s.uid, s.gid, s.mode & 0o777], [1234, 4321, 0o640])
})
