// Many sessions per worker (issue 14), on the real sshd, broker, Docker and agent. The
// test bed runs shell.broker.sessionsPerWorker: 2, so three sessions take two workers:
// a worker killed outright ends its own two sessions and not the third, and a revoked
// user's session ends while another user's session in the same worker goes on.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { SSH, ssh, sshArgs } from '../../fixtures/ssh.ts'
import { ownUser, sleep } from '../../fixtures/shell.ts'
import { containerName } from '../../../packages/shell/src/container/name.ts'

const GROUP = 'bastion-users'
const STATE = '/var/lib/bastion-testbed/state'

async function eventually (check: () => boolean | Promise<boolean>, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return true
    await sleep(200)
  }
  return check()
}

// The worker pid of each of the user's live sessions, from the broker's records.
function workersOf (user: string): Map<string, number> {
  const dir = join(STATE, 'sessions', containerName(user))
  const out = new Map<string, number>()
  for (const name of (() => { try { return readdirSync(dir) } catch { return [] } })()) {
    if (name.endsWith('.tmp')) continue
    out.set(name, Number(readFileSync(join(dir, name), 'utf8').split(' ')[0]))
  }
  return out
}

interface Held { exited: boolean }
// A session that prints a line once it runs, then waits; `exited` turns true when ssh ends.
async function hold (t: Test, user: string): Promise<Held> {
  const run = execa(SSH, [...sshArgs(user, ['-T']), 'echo started; exec sleep 300'], { reject: false, stdin: 'ignore' })
  t.teardown(() => { run.kill('SIGKILL') })
  const h: Held = { exited: false }
  void run.then(() => { h.exited = true })
  await new Promise<void>((resolve, reject) => {
    run.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve() })
    void run.then((r) => reject(new Error(`the session ended before it started: ${String(r.stderr)}`)))
  })
  return h
}

// A user of the test's own (fixtures/shell.ts), and the revocation record a sweep may
// leave for them.
async function makeUser (t: Test): Promise<string> {
  const name = await ownUser(t, `bt-wk${randomBytes(3).toString('hex')}`)
  t.teardown(() => rmSync(join(STATE, 'revoked', name), { recursive: true, force: true }))
  return name
}

t.test('three sessions take two workers; a worker killed outright ends its own two and not the third', async (t) => {
  const user = await makeUser(t)
  const held: Held[] = []
  for (let i = 0; i < 3; i++) held.push(await hold(t, user))
  t.ok(await eventually(() => workersOf(user).size === 3), 'three live sessions on record')
  const byWorker = new Map<number, number>()
  for (const pid of workersOf(user).values()) byWorker.set(pid, (byWorker.get(pid) ?? 0) + 1)
  t.same([...byWorker.values()].sort(), [1, 2], `two sessions in one worker, one in another (${JSON.stringify([...byWorker])})`)
  const full = [...byWorker].find(([, n]) => n === 2)?.[0] as number
  process.kill(full, 'SIGKILL')
  t.ok(await eventually(() => held.filter((h) => h.exited).length === 2), 'the two sessions of the killed worker end')
  await sleep(2000)
  t.equal(held.filter((h) => h.exited).length, 2, 'the third goes on')
  t.equal([...workersOf(user).values()].filter((p) => p !== full).length, 1, 'and is still on record, in its own worker')
  const next = await ssh(user, 'echo next')
  t.equal(next.stdout.toString(), 'next\n', 'a new login is served')
})

t.test('a revoked user\'s session ends, and another user\'s session in the same worker goes on', async (t) => {
  const leaving = await makeUser(t)
  const staying = await makeUser(t)
  const gone = await hold(t, leaving)
  const kept = await hold(t, staying)
  t.ok(await eventually(() => workersOf(leaving).size === 1 && workersOf(staying).size === 1))
  const [wLeaving] = workersOf(leaving).values()
  const [wStaying] = workersOf(staying).values()
  t.equal(wLeaving, wStaying, 'both sessions are served by one worker')
  await execa('gpasswd', ['-d', leaving, GROUP])
  t.ok(await eventually(() => gone.exited), 'the revoked user\'s session ends')
  await sleep(2000)
  t.notOk(kept.exited, 'the other user\'s session in that worker goes on')
  // (The log's count of sessions ended by the worker is often 0: removing the container
  // has ended the session before the worker is asked.)
  // The broker writes it once its sweep has finished, which can be after the session
  // has ended: waited for, not read once.
  const revoked = new RegExp(`"user":"${leaving}".*access revoked`)
  t.ok(await eventually(() => revoked.test(readFileSync('/var/log/bastion-testbed/shell.log', 'utf8'))), 'the revocation is in the shell log, with the user')
})
