// Rolling out the toolbox image for real: `bastion image build` makes a new image the
// configured one in the test bed's config file (comments kept); over the bed's sshd,
// the next login with no live session gets a container of the new image, while a
// container with a live session keeps running until its last session ends;
// `bastion image status` says who still runs an old image; `bastion image rollback`
// goes back in one command.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { parse } from 'yaml'
import { ssh } from '../../fixtures/ssh.ts'
import { DOCKER, SHELL_CONFIG, containersOf, inspect, removeContainersOf, sleep } from '../../fixtures/shell.ts'
import { bastion, patchShellConfig, toolboxImage } from '../../fixtures/toolbox.ts'

const USERS = ['bt-alice', 'bt-bob']
const base = toolboxImage()
const configured = (): string => parse(readFileSync(SHELL_CONFIG, 'utf8')).shell.image
const imageOf = async (user: string): Promise<string> => (await inspect((await containersOf(user))[0] ?? '')).Config.Labels['bastion.image-digest']
const idOf = async (ref: string): Promise<string> => (await execa(DOCKER, ['image', 'inspect', '-f', '{{.Id}}', ref])).stdout

const dir = t.testdir({
  // Two toolbox variants that build in seconds: the bed's image with a label each.
  one: { 'Dockerfile.offline': `ARG BASE\nFROM ${base}\nLABEL bastion.test.variant="one"\n` },
  two: { 'Dockerfile.offline': `ARG BASE\nFROM ${base}\nLABEL bastion.test.variant="two"\n` },
  broken: { 'Dockerfile.offline': `ARG BASE\nFROM ${base}\nLABEL bastion.test.variant="broken"\nRUN echo failing-on-purpose && false\n` }
})
patchShellConfig(t, [[['toolbox', 'historyFile'], join(dir, 'history.json')]])
const made: string[] = []
t.teardown(async () => {
  // The config file is put back by patchShellConfig; containers made from the test's
  // images go, so that the next login makes one of the bed's image again.
  for (const user of USERS) if (made.includes(await imageOf(user).catch(() => ''))) await removeContainersOf(user)
  if (made.length > 0) await execa(DOCKER, ['rmi', '-f', ...made], { reject: false })
})

async function build (variant: string): Promise<{ ref: string, id: string }> {
  const r = await bastion(SHELL_CONFIG, ['image', 'build', '--offline', '--context', join(dir, variant)])
  if (r.exitCode !== 0) throw new Error(`bastion image build failed: ${r.stderr}`)
  const ref = /^shell\.image: \S+ -> (\S+) /m.exec(r.stdout)?.[1]
  if (ref === undefined) throw new Error(`no rollout in: ${r.stdout}`)
  const id = await idOf(ref)
  made.push(id)
  return { ref, id }
}

async function status (): Promise<Record<string, { current: boolean, liveSessions: number }>> {
  const r = await bastion(SHELL_CONFIG, ['image', 'status', '--json'])
  const s = JSON.parse(r.stdout) as { containers: Array<{ user: string, current: boolean, liveSessions: number }> }
  return Object.fromEntries(s.containers.filter((c) => USERS.includes(c.user)).map((c) => [c.user, { current: c.current, liveSessions: c.liveSessions }]))
}

t.test('a build becomes the configured image, and the config file keeps its comments', async (t) => {
  const before = readFileSync(SHELL_CONFIG, 'utf8')
  const one = await build('one')
  t.match(one.ref, /^bastion\/toolbox:offline-\d{8}T\d{6}Z$/)
  t.equal(configured(), one.ref)
  const after = readFileSync(SHELL_CONFIG, 'utf8')
  t.equal(after, before.replace(/^( {2}image: ).*$/m, `$1${one.ref}`), 'only that value changed')
  t.match(after, /^# Written by test\/bed\/components\/shell\.sh/m)
  const tags = (await execa(DOCKER, ['image', 'inspect', '-f', '{{join .RepoTags " "}}', one.id])).stdout.split(' ')
  t.ok(tags.includes(one.ref) && tags.includes(`bastion/toolbox:sha-${one.id.slice(7, 19)}`), 'tagged with its version and its id')
  const again = await bastion(SHELL_CONFIG, ['image', 'build', '--offline', '--context', join(dir, 'one')])
  t.match(again.stdout, /already built from these inputs.*no changes/, 'the same inputs build nothing')
  t.equal(readFileSync(SHELL_CONFIG, 'utf8'), after)
})

t.test('new logins get the new image; a live session keeps its container until it ends; status says who is behind', async (t) => {
  for (const user of USERS) await ssh(user, 'true')
  const v1 = await idOf(configured())
  t.same([await imageOf('bt-alice'), await imageOf('bt-bob')], [v1, v1], 'both on the image configured now')
  const bobBefore = (await containersOf('bt-bob'))[0]

  // Bob keeps a session open across the rollout, until the test lets it end (a file in
  // his container's /tmp), however long the steps between take.
  const live = ssh('bt-bob', 'until [ -e /tmp/bt-rollout-done ]; do sleep 0.2; done; echo survived', { timeoutMs: 120_000 })
  await sleep(1500)
  const two = await build('two')
  t.same(await status(), { 'bt-alice': { current: false, liveSessions: 0 }, 'bt-bob': { current: false, liveSessions: 1 } })
  const text = (await bastion(SHELL_CONFIG, ['image', 'status'])).stdout
  t.match(text, new RegExp(`^configured image: ${two.ref.replace(/[/.]/g, '\\$&')} \\(sha256:[0-9a-f]{12}, \\d+ MB\\)$`, 'm'))
  t.match(text, /^bt-bob\s+shell-bt-bob-\S+\s+running\s+1\s+OLD\s/m)

  await ssh('bt-alice', 'true')
  t.equal(await imageOf('bt-alice'), two.id, "alice's next login gets the new image")
  await ssh('bt-bob', 'true')
  t.same(await containersOf('bt-bob'), [bobBefore], "bob's container stays while his session lives")
  t.same(await status(), { 'bt-alice': { current: true, liveSessions: 0 }, 'bt-bob': { current: false, liveSessions: 1 } })
  await execa(DOCKER, ['exec', bobBefore!, 'touch', '/tmp/bt-rollout-done'])
  const ended = await live
  t.equal(ended.stdout.toString(), 'survived\n', 'and that session was never interrupted')
  t.equal(ended.exitCode, 0)

  await ssh('bt-bob', 'true')
  t.not((await containersOf('bt-bob'))[0], bobBefore, 'his first login after it ends gets a new container')
  t.equal(await imageOf('bt-bob'), two.id)
  t.match((await bastion(SHELL_CONFIG, ['image', 'status'])).stdout, /every user runs the configured image|bt-bob\s+\S+\s+running\s+0\s+current/)
})

t.test('rollback is one command back, each time, until there is nothing earlier', async (t) => {
  const now = configured()
  const history = (await bastion(SHELL_CONFIG, ['image', 'history'])).stdout.trim().split('\n')
  t.match(history.at(-1), new RegExp(`build\\s+sha256:\\S+\\s+${now.replace(/[/.]/g, '\\$&')}$`))
  const back = await bastion(SHELL_CONFIG, ['image', 'rollback'])
  t.equal(back.exitCode, 0, back.stderr)
  t.match(back.stdout, new RegExp(`^shell\\.image: ${now.replace(/[/.]/g, '\\$&')} -> bastion/toolbox:offline-\\S+ `))
  const previous = configured()
  t.not(previous, now)
  await ssh('bt-alice', 'true')
  t.equal(await imageOf('bt-alice'), await idOf(previous), 'the next login gets the previous image back')

  t.equal((await bastion(SHELL_CONFIG, ['image', 'rollback'])).exitCode, 0)
  t.equal(configured(), base, 'and the one before it, which the bed had configured')
  const none = await bastion(SHELL_CONFIG, ['image', 'rollback'])
  t.equal(none.exitCode, 1)
  t.match(none.stderr, /nothing to roll back to \(BASTION_ADMIN_IMAGE_NO_PREVIOUS\)/)
  t.equal(configured(), base)
})

t.test('a failed build says so, configures nothing and leaves no container behind', async (t) => {
  const before = readFileSync(SHELL_CONFIG, 'utf8')
  const r = await bastion(SHELL_CONFIG, ['image', 'build', '--offline', '--context', join(dir, 'broken')])
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /failing-on-purpose/, "docker build's own output shows the failing step")
  t.match(r.stderr, /^bastion: docker build of .*Dockerfile\.offline failed: .*\(BASTION_ADMIN_IMAGE_BUILD_FAILED\)$/m)
  t.equal(readFileSync(SHELL_CONFIG, 'utf8'), before)
  const left = (await execa(DOCKER, ['ps', '-a', '--no-trunc', '--format', '{{.Command}}'])).stdout
  t.notMatch(left, /failing-on-purpose/, 'no stopped build container is left')
})

t.test('rollout of a given image, and of one Docker does not have', async (t) => {
  const [first] = made
  const r = await bastion(SHELL_CONFIG, ['image', 'rollout', first ?? ''])
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(configured(), first)
  t.equal((await bastion(SHELL_CONFIG, ['image', 'rollout', first ?? ''])).stdout, `shell.image is already ${first}: no changes\n`.trimEnd())
  const before = readFileSync(SHELL_CONFIG, 'utf8')
  const missing = await bastion(SHELL_CONFIG, ['image', 'rollout', 'bastion/toolbox:no-such-tag'])
  t.equal(missing.exitCode, 1)
  t.match(missing.stderr, /not in Docker on this host.*\(BASTION_ADMIN_IMAGE_NOT_FOUND\)/)
  t.equal(readFileSync(SHELL_CONFIG, 'utf8'), before, 'the config file is untouched')
  writeFileSync(SHELL_CONFIG, before)
})
