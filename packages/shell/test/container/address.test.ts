// Each person's own address: derived from the uid, kept, never given to another while
// its person may still use it, and passed on only when every address is claimed.
import t from 'tap'
import { readFileSync, readdirSync, utimesSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { candidates, ledgerDir, ownAddress, pinnedAddress, poolOf, type AddressFacts } from '../../src/container/address.ts'
import { activityFile } from '../../src/container/activity.ts'
import { containerName } from '../../src/container/name.ts'
import { ShellError } from '../../src/errors.ts'
import type { Caller } from '../../src/identity.ts'
import { testConfig } from '../fixtures/config.ts'

const person = (user: string, uid: number): Caller => ({ user, uid, gid: uid, groups: [user, 'bastion-users'] })
const alice = person('alice', 1001)
const bob = person('bob', 1002)

// No container holds anything, and every other person is idle with no container.
const free = (over: Partial<AddressFacts> = {}): AddressFacts => ({ held: new Set(), idle: async () => async () => {}, ...over })
const hoursAgo = (path: string, hours: number) => { const d = new Date(Date.now() - hours * 3_600_000); utimesSync(path, d, d) }

t.test('the pool is every host address but the gateway; the uid picks where a person starts', async (t) => {
  t.same(poolOf('10.250.0.0/29'), ['10.250.0.2', '10.250.0.3', '10.250.0.4', '10.250.0.5', '10.250.0.6'])
  t.equal(poolOf('10.250.0.16/28').length, 13)
  t.equal(poolOf('10.250.0.0/24').length, 253)
  t.equal(poolOf('10.250.0.0/24')[0], '10.250.0.2')
  t.equal(poolOf('10.250.0.0/24').at(-1), '10.250.0.254')
  t.equal(poolOf('10.250.3.77/16')[0], '10.250.0.2', 'the host bits of the subnet as written do not matter')
  t.equal(poolOf('172.16.0.0/16').length, 65533)
  const pool = poolOf('10.250.0.0/29')
  t.same(candidates(pool, 7), ['10.250.0.4', '10.250.0.5', '10.250.0.6', '10.250.0.2', '10.250.0.3'], 'uid 7 of 5 addresses starts at the third')
  t.same(candidates(pool, 0)[0], '10.250.0.2')
  t.same(candidates([], 3), [])
})

t.test('a person keeps their address; another person gets another', async (t) => {
  const config = testConfig({ shell: { stateDir: t.testdir({}) } })
  const a = await pinnedAddress(config, alice, free())
  t.equal(a, candidates(poolOf(config.network.subnet), alice.uid)[0], 'the address the uid names, when it is free')
  t.equal(await pinnedAddress(config, alice, free()), a, 'the same address at the next creation')
  t.equal(await ownAddress(config, 'alice'), a)
  const b = await pinnedAddress(config, bob, free())
  t.not(b, a)
  t.same(JSON.parse(readFileSync(join(ledgerDir(config), a), 'utf8')), { user: 'alice', uid: 1001 })
  t.equal(await ownAddress(config, 'carol'), undefined, 'no address for someone never seen')
})

t.test('two people whose uids name the same address: the second gets the next one', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/28' }, shell: { stateDir: t.testdir({}) } })
  const one = await pinnedAddress(config, person('one', 2), free())
  const other = await pinnedAddress(config, person('other', 15), free())
  t.equal(one, '10.250.0.4')
  t.equal(other, '10.250.0.5')
})

t.test('many people at once never share an address', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/26' }, shell: { stateDir: t.testdir({}) } })
  // 61 addresses, 40 people whose uids all name the same one.
  const people = Array.from({ length: 40 }, (_x, i) => person(`p${i}`, 61 * i + 5))
  const got = await Promise.all(people.map((p) => pinnedAddress(config, p, free())))
  t.equal(new Set(got).size, 40)
  for (const [i, ip] of got.entries()) t.equal(await ownAddress(config, `p${i}`), ip)
})

t.test('an address some container holds is skipped, and a person whose own address is held moves', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/28' }, shell: { stateDir: t.testdir({}) } })
  const first = candidates(poolOf(config.network.subnet), alice.uid)
  const a = await pinnedAddress(config, alice, free({ held: new Set([first[0]!]) }))
  t.equal(a, first[1])
  const moved = await pinnedAddress(config, alice, free({ held: new Set([a]) }))
  t.not(moved, a)
  t.equal(await ownAddress(config, 'alice'), moved)
  t.notOk(readdirSync(ledgerDir(config)).includes(a), 'the old claim is gone: the address is left to whoever holds it')
})

t.test('a lost users/ file: the person finds their own claim again', async (t) => {
  const config = testConfig({ shell: { stateDir: t.testdir({}) } })
  const a = await pinnedAddress(config, alice, free())
  rmSync(join(ledgerDir(config), 'users', containerName('alice')))
  t.equal(await ownAddress(config, 'alice'), undefined)
  t.equal(await pinnedAddress(config, alice, free()), a)
  writeFileSync(join(ledgerDir(config), 'users', containerName('alice')), 'not an address\n')
  t.equal(await ownAddress(config, 'alice'), undefined, 'a users/ file that names no address is ignored')
  t.equal(await pinnedAddress(config, alice, free()), a)
})

t.test('a users/ file whose address is now another person\'s claim is not theirs', async (t) => {
  const config = testConfig({ shell: { stateDir: t.testdir({}) } })
  const b = await pinnedAddress(config, bob, free())
  writeFileSync(join(ledgerDir(config), 'users', containerName('alice')), `${b}\n`)
  t.equal(await ownAddress(config, 'alice'), undefined)
  t.not(await pinnedAddress(config, alice, free()), b)
})

t.test('every address claimed: only a long-unused one of a person with no container passes on', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/28' }, shell: { stateDir: t.testdir({}), addressHoldHours: 24 } })
  await fill(config, 12)
  const only = await pinnedAddress(config, bob, free())
  const err = await pinnedAddress(config, alice, free()).catch((e: unknown) => e)
  t.ok(err instanceof ShellError && err.code === 'BASTION_SHELL_NO_ADDRESS', 'everyone claimed theirs a moment ago')
  t.match((err as Error).message, /network.subnet 10.250.0.0\/28 \(13\).*24 h \(shell.addressHoldHours\)/)

  hoursAgo(join(ledgerDir(config), only), 30)
  mkdirSync(join(config.shell.stateDir, 'activity'), { recursive: true })
  writeFileSync(activityFile(config, containerName('bob')), '')
  await t.rejects(pinnedAddress(config, alice, free()), { code: 'BASTION_SHELL_NO_ADDRESS' }, 'an old claim, but bob had a session a moment ago')

  hoursAgo(activityFile(config, containerName('bob')), 25)
  await t.rejects(pinnedAddress(config, alice, free({ held: new Set([only]) })), { code: 'BASTION_SHELL_NO_ADDRESS' }, 'a container holds it')
  const asked: string[] = []
  await t.rejects(pinnedAddress(config, alice, free({ idle: async (u) => { asked.push(u); return undefined } })), { code: 'BASTION_SHELL_NO_ADDRESS' }, 'bob has a container, or his lock is held')
  t.same(asked, ['bob'], 'only bob was asked: the others used theirs a moment ago')

  let released = 0
  t.equal(await pinnedAddress(config, alice, free({ idle: async () => async () => { released++ } })), only, 'idle for 25 h with no container: it passes')
  t.equal(released, 1, 'bob\'s lock is released')
  t.equal(await ownAddress(config, 'alice'), only)
  t.equal(await ownAddress(config, 'bob'), undefined, 'bob gets another address when he comes back')
})

t.test('an unreadable claim never passes on: an operator removes it', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/28' }, shell: { stateDir: t.testdir({}) } })
  await fill(config, 12)
  const last = poolOf(config.network.subnet).find((ip) => !readdirSync(ledgerDir(config)).includes(ip))!
  const file = join(ledgerDir(config), last)
  writeFileSync(file, '{"user":')
  writeFileSync(join(ledgerDir(config), 'not-an-address'), '')
  hoursAgo(file, 1000)
  await t.rejects(pinnedAddress(config, alice, free()), { code: 'BASTION_SHELL_NO_ADDRESS' })
  rmSync(file)
  t.equal(await pinnedAddress(config, alice, free()), last)
})

t.test('the oldest unused claim passes first, and a claim that changed meanwhile is left', async (t) => {
  const config = testConfig({ network: { subnet: '10.250.0.0/28' }, shell: { stateDir: t.testdir({}) } })
  const owners = await fill(config, 13)
  for (const [i, o] of owners.entries()) hoursAgo(join(ledgerDir(config), (await ownAddress(config, o.user))!), 100 - i)
  const oldest = (await ownAddress(config, owners[0]!.user))!
  const next = (await ownAddress(config, owners[1]!.user))!
  // Between the look and the move, another login took the oldest over.
  const idle = async (u: string) => {
    if (u === owners[0]!.user) writeFileSync(join(ledgerDir(config), oldest), JSON.stringify({ user: 'someone', uid: 9 }))
    return async () => {}
  }
  t.equal(await pinnedAddress(config, alice, free({ idle })), next)
})

// n people with an address each, claimed now.
async function fill (config: ReturnType<typeof testConfig>, n: number): Promise<Caller[]> {
  const people = Array.from({ length: n }, (_x, i) => person(`f${i}`, 5000 + i))
  for (const p of people) await pinnedAddress(config, p, free())
  return people
}
