// One image command at a time: the lock is exclusive, released after use (also on
// failure), taken over from a dead holder, and a live holder makes the next one BUSY.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { withLock } from '../../src/image/lock.ts'

t.test('the lock is held during the work and released after it, also when it fails', async (t) => {
  const path = join(t.testdir({}), 'sub', 'h.lock')
  t.equal(await withLock(path, 1000, async () => { t.ok(existsSync(path)); return 7 }), 7)
  t.notOk(existsSync(path))
  await t.rejects(withLock(path, 1000, async () => { throw new Error('boom') }), { message: 'boom' })
  t.notOk(existsSync(path))
})

t.test('two at once run one after the other', async (t) => {
  const path = join(t.testdir({}), 'h.lock')
  const order: string[] = []
  const slow = withLock(path, 5000, async () => { order.push('a-in'); await new Promise((r) => setTimeout(r, 200)); order.push('a-out') })
  await new Promise((r) => setTimeout(r, 20))
  const next = withLock(path, 5000, async () => { order.push('b-in') })
  await Promise.all([slow, next])
  t.same(order, ['a-in', 'a-out', 'b-in'])
})

t.test('a lock left by a dead process is taken over', async (t) => {
  const path = join(t.testdir({}), 'h.lock')
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((r) => child.on('exit', r))
  writeFileSync(path, String(child.pid))
  t.equal(await withLock(path, 1000, async () => 'ran'), 'ran')
})

t.test('a lock held by a live process is BUSY after the wait, and stays its', async (t) => {
  const path = join(t.testdir({}), 'h.lock')
  writeFileSync(path, String(process.ppid))
  await t.rejects(withLock(path, 200, async () => 'never'), { code: 'BASTION_ADMIN_IMAGE_BUSY', message: new RegExp(`process ${process.ppid}`) })
  t.ok(existsSync(path))
  writeFileSync(path, 'garbage')
  await t.rejects(withLock(path, 100, async () => 'never'), { code: 'BASTION_ADMIN_IMAGE_BUSY', message: /\(unknown\)/ })
})
