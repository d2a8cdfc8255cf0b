// The keys cache sshd reads: plain keys only, each restricted; written whole or not at
// all; files of accounts no longer served removed; the deadline moved last.
import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { authorizedLines, KEYS_DIR, keysDirFor, readKnownBodies, VALID_UNTIL, writeKeysCache, writeKnownBodies } from '../../src/users/keys-cache.ts'

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'

function scratch (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bt-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'lib', 'keys')
}

t.test('every served key is restricted to a pty; comments are dropped; options and junk are refused', async (t) => {
  t.same(authorizedLines([`${ED} john@laptop`, 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB==', `command="/bin/sh" ${ED}`, `${ED}\nssh-ed25519 AAAA second`, 'not a key', '']), {
    lines: [`restrict,pty ${ED}`, 'restrict,pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB=='],
    refused: 4
  })
})

t.test('the cache: a file per account for the keys group, the deadline last, and stale accounts gone', async (t) => {
  const dir = scratch(t)
  const until = new Date('2026-12-03T08:15:00Z')
  t.same(await writeKeysCache(dir, new Map([['alice', [`restrict,pty ${ED}`]], ['bob', []]]), until, { uid: 0, gid: 65534 }), { written: 2, removed: 0 })
  t.equal(readFileSync(join(dir, 'alice'), 'utf8'), `restrict,pty ${ED}\n`)
  t.equal(readFileSync(join(dir, 'bob'), 'utf8'), '', 'no keys: an empty file, so sshd gets nothing')
  t.equal(readFileSync(join(dir, VALID_UNTIL), 'utf8'), `${Math.floor(until.getTime() / 1000)}\n`)
  for (const f of ['alice', VALID_UNTIL]) {
    const st = statSync(join(dir, f))
    t.same([st.uid, st.gid, st.mode & 0o777], [0, 65534, 0o640], `${f}: root's, readable by the keys group only`)
  }
  const d = statSync(dir)
  t.same([d.uid, d.gid, d.mode & 0o777], [0, 65534, 0o750])
  t.equal(statSync(join(dir, '..')).mode & 0o777, 0o755, 'the directory above lets the keys user through')
  t.same(await writeKeysCache(dir, new Map([['alice', [`restrict,pty ${ED}`]]]), until, { uid: 0, gid: 65534 }), { written: 0, removed: 1 }, 'unchanged files are not rewritten')
  t.notOk(existsSync(join(dir, 'bob')), "bob's file is gone")
})

t.test('key bodies seen before are kept for the next run, root-only; a broken file is forgotten', async (t) => {
  const dir = scratch(t)
  await writeKeysCache(dir, new Map(), new Date(), { uid: 0, gid: 0 })
  t.same([...await readKnownBodies(dir)], [], 'none yet')
  await writeKnownBodies(dir, new Map([['K1', ED]]))
  t.same([...await readKnownBodies(dir)], [['K1', ED]])
  t.equal(statSync(join(dir, '.key-bodies.json')).mode & 0o777, 0o600)
  writeFileSync(join(dir, '.key-bodies.json'), '{"K1": 5, "K2": "x"}')
  t.same([...await readKnownBodies(dir)], [['K2', 'x']], 'only strings count')
})

t.test('each users.instance has a cache directory of its own; none means the default one', async (t) => {
  t.equal(keysDirFor(undefined), KEYS_DIR)
  t.equal(keysDirFor('local'), `${KEYS_DIR}-local`)
  t.not(keysDirFor('a'), keysDirFor('b'))
})
