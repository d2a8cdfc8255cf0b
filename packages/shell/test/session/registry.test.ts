// Live sessions as the broker records them: a session counts while its worker lives,
// a record whose worker is gone (or whose pid was reused) is stale and removed, and a
// session can leave itself out.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registerSession, registeredSessions, sessionLive } from '../../src/session/registry.ts'
import { testConfig } from '../fixtures/config.ts'

function config (t: { teardown (fn: () => void): void }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'bt-registry-'))
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }))
  return testConfig({ shell: { stateDir } })
}

t.test('a registered session counts until it unregisters', async (t) => {
  const c = config(t)
  t.equal(await registeredSessions(c, 'shell-alice'), 0)
  const done = await registerSession(c, 'shell-alice', 'aaaa')
  const other = await registerSession(c, 'shell-alice', 'bbbb')
  t.equal(await registeredSessions(c, 'shell-alice'), 2)
  t.equal(await registeredSessions(c, 'shell-bob'), 0, 'per container')
  t.equal(await registeredSessions(c, 'shell-alice', 'aaaa'), 1, 'a session can leave itself out')
  await done()
  t.equal(await registeredSessions(c, 'shell-alice'), 1)
  await other()
  t.equal(await registeredSessions(c, 'shell-alice'), 0)
})

t.test('a session whose worker died is stale: not counted, and removed', async (t) => {
  const c = config(t)
  const child = spawn('sleep', ['30'])
  await registerSession(c, 'shell-alice', 'dead', child.pid)
  t.equal(await registeredSessions(c, 'shell-alice'), 1, 'counted while its worker lives')
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  t.equal(await registeredSessions(c, 'shell-alice'), 0)
  t.same(readdirSync(join(c.shell.stateDir, 'sessions', 'shell-alice')), [], 'the record is gone')
})

t.test('a record naming a live pid with another start time is a reused pid, hence stale', async (t) => {
  const c = config(t)
  const dir = join(c.shell.stateDir, 'sessions', 'shell-alice')
  await registerSession(c, 'shell-alice', 'mine')
  writeFileSync(join(dir, 'reused'), `${process.pid} 1\n`)
  writeFileSync(join(dir, 'garbage'), 'not a record\n')
  writeFileSync(join(dir, 'empty'), '')
  t.equal(await registeredSessions(c, 'shell-alice'), 1)
  t.same(readdirSync(dir), ['mine'])
})

t.test('a record being written (its .tmp) is neither counted nor removed', async (t) => {
  const c = config(t)
  const dir = join(c.shell.stateDir, 'sessions', 'shell-alice')
  await registerSession(c, 'shell-alice', 'x')
  writeFileSync(join(dir, 'y.tmp'), '')
  t.equal(await registeredSessions(c, 'shell-alice'), 1)
  t.ok(existsSync(join(dir, 'y.tmp')))
})

t.test('a reader that only reports leaves stale records in place', async (t) => {
  const c = config(t)
  const dir = join(c.shell.stateDir, 'sessions', 'shell-alice')
  await registerSession(c, 'shell-alice', 'live')
  writeFileSync(join(dir, 'stale'), '999999999 1\n')
  t.equal(await registeredSessions(c, 'shell-alice', undefined, false), 1)
  t.same(readdirSync(dir).sort(), ['live', 'stale'])
})

t.test('sessionLive: a session with a live worker is live, a stale one or an odd name is not, and nothing is removed', async (t) => {
  const c = config(t)
  const dir = join(c.shell.stateDir, 'sessions', 'shell-alice')
  const done = await registerSession(c, 'shell-alice', 'a1')
  writeFileSync(join(dir, 'b2'), `${process.pid} 1\n`)
  t.equal(await sessionLive(c.shell.stateDir, 'shell-alice', 'a1'), true)
  t.equal(await sessionLive(c.shell.stateDir, 'shell-alice', 'b2'), false, 'a reused pid')
  t.equal(await sessionLive(c.shell.stateDir, 'shell-alice', 'c3'), false, 'no record')
  t.equal(await sessionLive(c.shell.stateDir, 'shell-alice', '../shell-alice/a1'), false, 'not a session id')
  t.same(readdirSync(dir).sort(), ['a1', 'b2'], 'read only')
  await done()
  t.equal(await sessionLive(c.shell.stateDir, 'shell-alice', 'a1'), false)
})
