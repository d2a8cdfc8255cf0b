// The key directory of Identity Center people: one root-owned file per person, comments
// and blank lines ignored, an unreadable directory fails the read, an untrusted file
// serves nothing.
import t, { type Test } from 'tap'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keyDirectory } from '../../src/users/key-directory.ts'
import { KeyFileRefused } from '../../src/users/people.ts'

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

function dir (t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'bt-keydir-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

t.test('a person\'s file gives their keys; no file, no keys; it remembers nothing', async (t) => {
  const d = dir(t)
  writeFileSync(join(d, 'john-smith'), `# laptop\n${ED} john@laptop\n\n  ${ED} second  \n`, { mode: 0o644 })
  const keys = keyDirectory(d)
  t.equal(keys.remembers, false)
  t.same([...await keys.activeKeys('john-smith', new Map())], [['john-smith:0', `${ED} john@laptop`], ['john-smith:1', `${ED} second`]])
  t.same([...await keys.activeKeys('ann', new Map())], [])
})

t.test('a directory that cannot be listed fails the read', async (t) => {
  await t.rejects(keyDirectory(join(dir(t), 'missing')).activeKeys('ann', new Map()), /the key directory .*missing cannot be read: ENOENT/)
})

t.test('a file another user could have written, or a link, serves none of its keys', async (t) => {
  const d = dir(t)
  writeFileSync(join(d, 'writable'), `${ED}\n`)
  chmodSync(join(d, 'writable'), 0o666)
  writeFileSync(join(d, 'notroots'), `${ED}\n`, { mode: 0o644 })
  chownSync(join(d, 'notroots'), 65534, 65534)
  writeFileSync(join(d, 'target'), `${ED}\n`, { mode: 0o644 })
  symlinkSync(join(d, 'target'), join(d, 'link'))
  mkdirSync(join(d, 'adir'))
  for (const name of ['writable', 'notroots', 'link', 'adir']) {
    const err = await keyDirectory(d).activeKeys(name, new Map()).catch((e: unknown) => e)
    t.ok(err instanceof KeyFileRefused, name)
    t.match((err as Error).message, /is not a regular file of root's that only root may write: none of its keys are served/)
  }
})
