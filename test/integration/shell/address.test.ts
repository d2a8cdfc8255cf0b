// Each person's container gets the same address every time it is made, whatever the
// order in which people log in, and never another person's: the metadata proxy knows a
// caller by its address, so an address must not pass from one person to another.
// Real sshd, broker, Docker and ledger (<shell.stateDir>/addresses).
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { ssh } from '../../fixtures/ssh.ts'
import { DOCKER, containersOf, inspect, removeContainersOf } from '../../fixtures/shell.ts'

const NETWORK = 'bt-shell'
const LEDGER = '/var/lib/bastion-testbed/state/addresses'
const SHELL_LOG = '/var/log/bastion-testbed/shell.log'

async function addressOf (user: string): Promise<string> {
  const [id] = await containersOf(user)
  if (id === undefined) throw new Error(`${user} has no container`)
  return (await inspect(id)).NetworkSettings.Networks[NETWORK].IPAddress as string
}

function claimOf (ip: string): { user: string, uid: number } {
  return JSON.parse(readFileSync(join(LEDGER, ip), 'utf8')) as { user: string, uid: number }
}

t.test('a person gets the same address each time their container is made, in any order of logins', async (t) => {
  await ssh('bt-alice', 'true')
  await ssh('bt-bob', 'true')
  const alice = await addressOf('bt-alice')
  const bob = await addressOf('bt-bob')
  t.not(alice, bob)
  const uid = Number((await execa('id', ['-u', 'bt-alice'])).stdout)
  t.same(claimOf(alice), { user: 'bt-alice', uid }, 'the ledger names her, by name and uid')
  t.equal(claimOf(bob).user, 'bt-bob')
  const inside = await ssh('bt-alice', 'hostname -I')
  t.equal(inside.stdout.toString().trim(), alice, 'the container itself has that address')

  // Both containers gone; bob logs in first this time: with addresses handed out in
  // order, he would now take the first free one, which may be hers.
  await removeContainersOf('bt-alice')
  await removeContainersOf('bt-bob')
  await ssh('bt-bob', 'true')
  await ssh('bt-alice', 'true')
  t.equal(await addressOf('bt-alice'), alice, 'alice, made anew, is where she was')
  t.equal(await addressOf('bt-bob'), bob, 'so is bob')
})

t.test('an address another container took: the person moves to a new one, and the login works', async (t) => {
  await ssh('bt-alice', 'true')
  const before = await addressOf('bt-alice')
  await removeContainersOf('bt-alice')
  // A container made by hand, on her address, with no bastion label.
  const squatter = `bt-squat-${process.pid}`
  t.teardown(() => execa(DOCKER, ['rm', '-f', squatter], { reject: false }))
  const image = (await execa(DOCKER, ['inspect', '--format', '{{.Config.Image}}', ...(await containersOf('bt-bob'))])).stdout.trim()
  await execa(DOCKER, ['run', '-d', '--name', squatter, '--network', NETWORK, '--ip', before, '--entrypoint', 'sleep', image, 'infinity'])
  const logged = readFileSync(SHELL_LOG).length
  const login = await ssh('bt-alice', 'echo in')
  t.equal(login.exitCode, 0, login.stderr.toString())
  t.equal(login.stdout.toString().trim(), 'in')
  const line = readFileSync(SHELL_LOG).subarray(logged).toString().split('\n').find((l) => l.includes('they move to another'))
  t.ok(line, 'the log says she moved')
  t.match(JSON.parse(line ?? '{}'), { from: before })
  const after = await addressOf('bt-alice')
  t.not(after, before, 'she is on another address')
  t.equal(claimOf(after).user, 'bt-alice')
  t.notOk(readdirSync(LEDGER).includes(before), 'her old claim is gone; the address is left to the container on it')

  // The squatter leaves; her address stays the new one from now on.
  await execa(DOCKER, ['rm', '-f', squatter])
  await removeContainersOf('bt-alice')
  await ssh('bt-alice', 'true')
  t.equal(await addressOf('bt-alice'), after)
})

t.test('a stopped container whose address was taken is made anew on another', async (t) => {
  await ssh('bt-alice', 'true')
  const [id] = await containersOf('bt-alice')
  const before = await addressOf('bt-alice')
  await execa(DOCKER, ['stop', '-t', '1', id!])
  const logged = readFileSync(SHELL_LOG).length
  const squatter = `bt-squat2-${process.pid}`
  t.teardown(() => execa(DOCKER, ['rm', '-f', squatter], { reject: false }))
  const image = (await execa(DOCKER, ['inspect', '--format', '{{.Config.Image}}', id!])).stdout.trim()
  await execa(DOCKER, ['run', '-d', '--name', squatter, '--network', NETWORK, '--ip', before, '--entrypoint', 'sleep', image, 'infinity'])
  const login = await ssh('bt-alice', 'echo in')
  t.equal(login.exitCode, 0, login.stderr.toString())
  const [now] = await containersOf('bt-alice')
  t.not(now, id, 'a new container')
  t.not(await addressOf('bt-alice'), before)
  t.match(readFileSync(SHELL_LOG).subarray(logged).toString(), /the container's address is held by another container; making it anew on another address/)
  await execa(DOCKER, ['rm', '-f', squatter])
})
