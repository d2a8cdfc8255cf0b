// The directories root writes for users, and the agent's, must be root's all the way up.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assertDataDirs, untrustedAncestor } from '../../src/config/trusted-paths.ts'
import { testConfig } from '../fixtures/config.ts'

// A root-owned directory of the test's own, under /tmp (sticky, open to all).
function base (t: { teardown (fn: () => void): void }): string {
  const parent = mkdtempSync(join(tmpdir(), 'bt-trusted-'))
  t.teardown(() => rmSync(parent, { recursive: true, force: true }))
  return parent
}

t.test('a path must be absolute and normalized', async (t) => {
  t.match(await untrustedAncestor('var/lib/x', { allowSticky: true }), /not an absolute, normalized path/)
  t.match(await untrustedAncestor('/var/lib/../x', { allowSticky: true }), /not an absolute, normalized path/)
  t.equal(await untrustedAncestor('/var/lib/bastion-nonexistent/home', { allowSticky: false }), undefined, 'what does not exist yet is root\'s to make')
})

t.test('a symbolic link, a file, a directory of another owner or one others may write is refused, wherever it is above', async (t) => {
  const b = base(t)
  mkdirSync(join(b, 'ok', 'deep'), { recursive: true, mode: 0o755 })
  t.equal(await untrustedAncestor(join(b, 'ok', 'deep'), { allowSticky: true }), undefined)
  t.match(await untrustedAncestor(join(b, 'ok', 'deep'), { allowSticky: false }), /is writable by group or others \(mode 1777\)/, 'under /tmp: sticky and open to all')
  symlinkSync(join(b, 'ok'), join(b, 'link'))
  t.match(await untrustedAncestor(join(b, 'link', 'deep'), { allowSticky: true }), `${b}/link is a symbolic link`)
  writeFileSync(join(b, 'file'), '')
  t.match(await untrustedAncestor(join(b, 'file', 'x'), { allowSticky: true }), `${b}/file is not a directory`)
  mkdirSync(join(b, 'theirs'))
  chownSync(join(b, 'theirs'), 65534, 65534)
  t.match(await untrustedAncestor(join(b, 'theirs', 'home'), { allowSticky: true }), `${b}/theirs is not owned by root (uid 65534)`)
  mkdirSync(join(b, 'group'))
  chmodSync(join(b, 'group'), 0o775)
  t.match(await untrustedAncestor(join(b, 'group', 'state'), { allowSticky: true }), `${b}/group is writable by group or others (mode 775)`)
})

t.test('homeRoot, stateDir and recordingsDir are each checked, and the error names the key', async (t) => {
  t.resolves(assertDataDirs(testConfig({ shell: { homeRoot: '/var/lib/bt-none/home', stateDir: '/var/lib/bt-none/state', audit: { recordingsDir: '/var/log/bt-none/rec' } } })))
  const b = base(t)
  for (const [key, shell] of [
    ['shell.homeRoot', { homeRoot: join(b, 'home') }],
    ['shell.stateDir', { stateDir: join(b, 'state') }],
    ['shell.audit.recordingsDir', { audit: { recordingsDir: join(b, 'rec') } }]
  ] as const) {
    await t.rejects(assertDataDirs(testConfig({ shell })), { code: 'BASTION_SHELL_CONFIG_INVALID', message: new RegExp(`^${key.replace(/\./g, '\\.')} \\(${b}/\\w+\\) cannot be trusted: /tmp is writable by group or others`) }, key)
  }
  await t.rejects(assertDataDirs(testConfig({ shell: { stateDir: 'relative/state' } })), { message: /shell\.stateDir \(relative\/state\) cannot be trusted: relative\/state is not an absolute/ })
})
