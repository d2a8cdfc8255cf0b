// Revocation: a user out of the allowed group or off the host loses their container and
// sessions; their home becomes root's and is kept for revokedHomeDays, then removed; a
// lookup that fails decides nothing; users still allowed are untouched.
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { revokeSweep, startRevocation, systemAccessSource, type Access, type AccessSource } from '../src/revoke.ts'
import { containerName } from '../src/container/name.ts'
import { startTimeOf } from '../src/proc.ts'
import { controlSocket, listenControl } from '../src/broker/worker-control.ts'
import type { HomeHost } from '../src/container/home-image.ts'
import { testConfig } from './fixtures/config.ts'
import { fakeDocker } from './fixtures/docker.ts'
import { captureLog, silentLogger } from './fixtures/log.ts'

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0)
const asRoot = process.getuid?.() === 0

function setup (t: Test, verdicts: Record<string, Access>, days = 30) {
  const root = t.testdir({ home: { alice: { 'notes.txt': 'mine' }, bob: {} }, state: {} })
  const config = testConfig({ shell: { homeRoot: join(root, 'home'), stateDir: join(root, 'state'), revokedHomeDays: days } })
  const asked: string[] = []
  const access: AccessSource = { groupExists: async () => true, accessOf: async (user, group) => { asked.push(`${user}@${group}`); return verdicts[user] ?? 'allowed' } }
  const fake = fakeDocker([
    { id: 'c-alice', name: `/${containerName('alice')}`, startedAt: '', execIds: [], labels: { 'bastion.user': 'alice', 'bastion.config-hash': 'x' } },
    { id: 'c-bob', name: `/${containerName('bob')}`, startedAt: '', execIds: [], labels: { 'bastion.user': 'bob', 'bastion.config-hash': 'x' } },
    { id: 'c-carol', name: `/${containerName('carol')}`, startedAt: '', execIds: [], labels: { 'bastion.user': 'carol', 'bastion.config-hash': 'x' } },
    // Someone else's container with the user label (a test's, say), named otherwise.
    { id: 'c-other', name: '/not-the-shells', startedAt: '', execIds: [], labels: { 'bastion.user': 'alice', 'bastion.config-hash': 'x' } }
  ])
  return { root, config, access, asked, fake }
}

t.test('a user no longer allowed loses their container; the others keep theirs', async (t) => {
  const { config, access, asked, fake } = setup(t, { alice: 'denied' })
  const log = captureLog()
  const r = await revokeSweep(fake.docker, config, access, log.logger, NOW)
  t.same(r.revoked, ['alice'])
  t.same(fake.removeCalls, [{ id: 'c-alice', options: { force: true } }])
  t.same(fake.containers.map((c) => c.id), ['c-bob', 'c-carol', 'c-other'], 'a container the shell did not name is not its to remove')
  t.same(fake.listCalls, [{ all: true, filters: { label: ['bastion.user', 'bastion.config-hash'] } }])
  t.same(asked.sort(), ['alice@bastion-users', 'bob@bastion-users', 'carol@bastion-users'], 'every user with a container or a home is looked at once')
  t.ok(log.records().some((l) => l.msg === 'access revoked: the user is no longer allowed; removed their container and ended their sessions' && l.user === 'alice'))
})

t.test("another instance's container (on another network) is never this instance's to revoke", async (t) => {
  const { config, access, fake } = setup(t, { dave: 'denied', alice: 'denied' })
  fake.containers.push({ id: 'c-dave', name: `/${containerName('dave')}`, startedAt: '', execIds: [], labels: { 'bastion.user': 'dave', 'bastion.config-hash': 'x' }, network: 'bastion-bench' })
  const r = await revokeSweep(fake.docker, config, access, captureLog().logger, NOW)
  t.same(r.revoked, ['alice'])
  t.notOk(fake.removeCalls.some((c) => c.id === 'c-dave'), "dave is not in this instance's group, but his container is another instance's")
})

t.test('without the allowed group (a misconfiguration, a directory outage) no one is revoked', async (t) => {
  const { config, access, fake } = setup(t, { alice: 'denied', bob: 'denied' })
  const log = captureLog()
  const r = await revokeSweep(fake.docker, config, { ...access, groupExists: async () => false }, log.logger, NOW)
  t.same(r, { revoked: [], homesRemoved: [] })
  t.same(fake.removeCalls, [])
  t.ok(log.records().some((l) => l.level === 50 && l.group === 'bastion-users'))
})

t.test('a user whose container cannot be removed is logged, and the others are still handled', async (t) => {
  const { config, access, fake } = setup(t, { alice: 'denied', bob: 'denied' })
  const broken = { ...fake.docker, getContainer: (id: string) => id === 'c-alice' ? { ...fake.docker.getContainer(id), remove: async () => { throw new Error('Docker said no') } } : fake.docker.getContainer(id) }
  const log = captureLog()
  const r = await revokeSweep(broken, config, access, log.logger, NOW)
  t.same(r.revoked, ['bob'])
  t.ok(log.records().some((l) => l.msg === 'could not take away the access of a user who lost it; trying again at the next sweep' && l.user === 'alice'))
})

t.test('a home that went away meanwhile is nothing to keep', async (t) => {
  const { root, config, access, fake } = setup(t, { bob: 'denied' })
  const { rmSync } = await import('node:fs')
  // Gone between the listing of homes and the look at the user.
  const racing: AccessSource = { ...access, accessOf: async (user, group) => { if (user === 'bob') rmSync(join(root, 'home', 'bob'), { recursive: true, force: true }); return access.accessOf(user, group) } }
  const log = captureLog()
  t.same(await revokeSweep(fake.docker, config, racing, log.logger, NOW), { revoked: ['bob'], homesRemoved: [] })
  t.notOk(existsSync(join(config.shell.stateDir, 'revoked', 'bob')), 'nothing marked')
  t.notOk(log.records().some((l) => l.level === 50), 'no error')
})

t.test('a lookup that fails decides nothing, and says so', async (t) => {
  const { config, access, fake } = setup(t, { alice: 'unknown', bob: 'unknown' })
  const log = captureLog()
  const r = await revokeSweep(fake.docker, config, access, log.logger, NOW)
  t.same(r, { revoked: [], homesRemoved: [] })
  t.same(fake.removeCalls, [])
  t.ok(log.records().some((l) => l.msg === 'could not tell whether the user may still log in; looking again at the next sweep' && l.user === 'alice'))
})

t.test('a worker without a control socket (a version that served one session) is sent SIGHUP', async (t) => {
  const { config, access, fake } = setup(t, { alice: 'denied' })
  const worker = spawn(process.execPath, ['-e', 'process.on("SIGHUP", () => process.exit(0)); setInterval(() => {}, 1000); console.log("ready")'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => { worker.kill('SIGKILL') })
  // Only once its handler is in place: SIGHUP would kill it otherwise.
  await new Promise((resolve) => worker.stdout.once('data', resolve))
  const dir = join(config.shell.stateDir, 'sessions', containerName('alice'))
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'abc'), `${worker.pid} ${await startTimeOf(worker.pid!)}\n`)
  writeFileSync(join(dir, 'stale'), '1 0\n')
  const exited = new Promise<unknown>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })))
  await revokeSweep(fake.docker, config, access, silentLogger(), NOW)
  t.same(await exited, { code: 0, signal: null }, 'the worker got SIGHUP')
})

t.test('a worker that also serves other users ends only the revoked user\'s sessions, through its control socket', async (t) => {
  const { root, access, fake } = setup(t, { alice: 'denied' })
  const run = mkdtempSync(join(tmpdir(), 'bt-rv-'))
  t.teardown(() => rmSync(run, { recursive: true, force: true }))
  const config = testConfig({ shell: { homeRoot: join(root, 'home'), stateDir: join(root, 'state'), broker: { runDir: run } } })
  // This process stands in for the worker: it serves alice's session s1 and bob's s2.
  const ended: string[] = []
  const server = listenControl(controlSocket(config.shell.broker.runDir, process.pid), (ids) => { ended.push(...ids); return ids.length }, (err) => t.error(err))
  t.teardown(() => server.close())
  const me = `${process.pid} ${await startTimeOf(process.pid)}\n`
  for (const [user, session] of [['alice', 's1'], ['bob', 's2']] as const) {
    const dir = join(config.shell.stateDir, 'sessions', containerName(user))
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, session), me)
  }
  const log = captureLog()
  await revokeSweep(fake.docker, config, access, log.logger, NOW)
  t.same(ended, ['s1'], 'alice\'s session, and not bob\'s')
  t.match(log.records().find((l) => String(l.msg).startsWith('access revoked')), { user: 'alice', sessions: 1 })
})

t.test('a departed user\'s home becomes root\'s, is kept, and goes once its days have passed', { skip: asRoot ? false : 'chown needs root' }, async (t) => {
  const { root, config, access, fake } = setup(t, { alice: 'denied' }, 30)
  const home = join(root, 'home', 'alice')
  await revokeSweep(fake.docker, config, access, silentLogger(), NOW)
  t.match(statSync(home), { uid: 0, gid: 0 })
  t.equal(statSync(home).mode & 0o777, 0o700)
  t.equal(readFileSync(join(home, 'notes.txt'), 'utf8'), 'mine', 'nothing in it is touched')
  const marker = join(config.shell.stateDir, 'revoked', 'alice')
  t.ok(existsSync(marker))
  t.same((await revokeSweep(fake.docker, config, access, silentLogger(), NOW + 29 * 86400_000)).homesRemoved, [], 'kept within its days')
  t.ok(existsSync(home))
  t.same((await revokeSweep(fake.docker, config, access, silentLogger(), NOW + 31 * 86400_000)).homesRemoved, ['alice'])
  t.notOk(existsSync(home))
  t.notOk(existsSync(marker))
  t.ok(existsSync(join(root, 'home', 'bob')), 'an allowed user\'s home stays')
})

t.test('a departed user\'s home that is an image is unmounted and kept in it, and goes with its image; .images is no user', { skip: asRoot ? false : 'chown needs root' }, async (t) => {
  const { root, config, access, asked, fake } = setup(t, { alice: 'denied' }, 30)
  const home = join(root, 'home', 'alice')
  const image = join(root, 'home', '.images', 'alice.img')
  mkdirSync(join(root, 'home', '.images'))
  writeFileSync(image, 'ext4')
  const mounts = new Set([home])
  const unmounted: string[] = []
  const host: HomeHost = {
    mounted: async (path) => mounts.has(path),
    makeImage: async () => { throw new Error('not here') },
    mount: async (_image, at) => { mounts.add(at) },
    unmount: async (at) => { unmounted.push(at); mounts.delete(at) }
  }
  const log = captureLog()
  await revokeSweep(fake.docker, config, access, log.logger, NOW, host)
  t.same(unmounted, [home], 'unmounted once its container is gone')
  t.match(statSync(home), { uid: 0, gid: 0 }, 'the directory below it is root\'s')
  t.ok(existsSync(image), 'the image is kept')
  t.ok(log.records().some((r) => r.msg === 'unmounted the home image of a user who lost access' && r.user === 'alice'))
  t.notOk(asked.some((a) => a.startsWith('.images@')), 'the images\' directory is not taken for a user')
  mounts.add(home)
  t.same((await revokeSweep(fake.docker, config, access, silentLogger(), NOW + 31 * 86400_000, host)).homesRemoved, ['alice'])
  t.same(unmounted, [home, home], 'mounted again meanwhile: unmounted before it is removed')
  t.notOk(existsSync(home))
  t.notOk(existsSync(image), 'the image goes with the home')
  t.ok(existsSync(join(root, 'home', '.images')))
})

t.test('the system lookup: root is on the host, a made-up name is not', async (t) => {
  const src = systemAccessSource()
  t.equal(await src.groupExists('root'), true)
  t.equal(await src.groupExists('no-such-group-here'), false)
  t.equal(await src.accessOf('root', 'root'), 'allowed')
  t.equal(await src.accessOf('root', 'no-such-group-here'), 'denied')
  t.equal(await src.accessOf('no-such-user-bastion-test', 'root'), 'denied')
})

t.test('the loop sweeps at once, again after revokeCheckSeconds, and stops', async (t) => {
  const { config, access, asked, fake } = setup(t, {})
  const fast = { ...config, shell: { ...config.shell, revokeCheckSeconds: 1 } }
  const loop = startRevocation(async () => fast, () => fake.docker, silentLogger(), access)
  while (asked.length < 6) await new Promise((resolve) => setTimeout(resolve, 50))
  await loop.stop()
  const after = asked.length
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.equal(asked.length, after, 'no sweep once stopped')
  const failing = captureLog()
  const broken = startRevocation(async () => { throw new Error('no config') }, () => fake.docker, failing.logger, access)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await broken.stop()
  t.ok(failing.records().some((l) => l.msg === 'the revocation sweep failed; trying again at the next one'))
})
