// Leaving takes everything away (issue 11, item 5), on the real sshd, broker and Docker:
// a user removed from shell.allowedGroup, or from the host, with a live session and a
// detached process (`setsid -f`) in their container, loses the session, the process and
// the container within shell.revokeCheckSeconds (3 s in the test bed); their next login
// is refused; their home is kept, owned by root, and is theirs again if they come back.
// With the container gone, the metadata proxy has nothing to issue credentials to.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { containerName } from '@bastion/shell'
import { SSH, ssh, sshArgs, sshFacts } from '../../fixtures/ssh.ts'
import { DOCKER, HOME_ROOT, containersOf, removeContainersOf, sleep } from '../../fixtures/shell.ts'

const GROUP = 'bastion-users'
const SHELL_LOG = '/var/log/bastion-testbed/shell.log'

// A user of the test bed's sshd, in the allowed group, removed when the test ends.
async function makeUser (t: Test): Promise<{ name: string, uid: number }> {
  const name = `bt-rv${randomBytes(3).toString('hex')}`
  await execa('useradd', ['-m', '-s', sshFacts().shellBin, '-G', GROUP, name])
  t.teardown(async () => {
    await removeContainersOf(name)
    await execa('userdel', ['-r', name], { reject: false })
    await execa('rm', ['-rf', '--', join(HOME_ROOT, name), join('/var/lib/bastion-testbed/state/revoked', name)])
  })
  const home = (await execa('getent', ['passwd', name])).stdout.split(':')[5]!
  await execa('install', ['-d', '-o', name, '-g', name, '-m', '700', `${home}/.ssh`])
  await execa('install', ['-o', name, '-g', name, '-m', '600', `${sshFacts().key}.pub`, `${home}/.ssh/authorized_keys`])
  return { name, uid: Number((await execa('id', ['-u', name])).stdout) }
}

// Polls until check() holds, for at most `ms`; resolves with whether it did.
async function eventually (check: () => Promise<boolean>, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return true
    await sleep(250)
  }
  return check()
}

const hostProcessesOf = async (uid: number, pattern: string): Promise<string> =>
  (await execa('pgrep', ['-a', '-u', String(uid), '-f', pattern], { reject: false })).stdout.trim()

async function liveSessionWithDetachedProcess (t: Test, user: string): Promise<{ ended: Promise<unknown> }> {
  const marker = `sleep ${1000 + Math.floor(Math.random() * 1000)}`
  const session = execa(SSH, [...sshArgs(user, ['-T']), `echo kept > ~/kept.txt; setsid -f ${marker} </dev/null >/dev/null 2>&1; echo started; ${marker}`], { reject: false, stdin: 'ignore' })
  t.teardown(() => { session.kill('SIGKILL') })
  const running = async (): Promise<number> => {
    const [id] = await containersOf(user)
    if (id === undefined) return 0
    const top = await execa(DOCKER, ['top', id, '-eo', 'pid,args'], { reject: false })
    return top.stdout.split('\n').filter((l) => l.trim().replace(/^\d+\s+/, '') === marker).length
  }
  t.ok(await eventually(async () => await running() === 2), 'the session and its detached process run in the container')
  return { ended: session }
}

t.test('a user removed from the allowed group loses their live session, detached processes and container; the next login is refused; the home is kept as root\'s', async (t) => {
  const { name, uid } = await makeUser(t)
  const { ended } = await liveSessionWithDetachedProcess(t, name)
  const logFrom = statSync(SHELL_LOG).size

  await execa('gpasswd', ['-d', name, GROUP])
  let finished = false
  void ended.then(() => { finished = true })
  t.ok(await eventually(async () => finished && (await containersOf(name)).length === 0), 'the session ended and the container is gone')
  t.equal(await hostProcessesOf(uid, 'sleep 1'), '', 'nothing of theirs runs anywhere, the detached process included')
  const log = readFileSync(SHELL_LOG, 'utf8').slice(logFrom)
  t.match(log, `"user":"${name}"`)
  t.match(log, 'access revoked: the user is no longer allowed; removed their container and ended their sessions')

  const again = await ssh(name, 'echo should-not-run')
  t.equal(again.exitCode, 125)
  t.equal(again.stdout.toString(), '')
  t.match(again.stderr, /\(BASTION_SHELL_NOT_ALLOWED\)\n$/)
  t.same(await containersOf(name), [], 'no container for them')

  const home = join(HOME_ROOT, name)
  t.ok(await eventually(async () => statSync(home).uid === 0), 'the home became root\'s')
  t.equal(statSync(home).mode & 0o777, 0o700)
  t.equal(readFileSync(join(home, 'kept.txt'), 'utf8'), 'kept\n', 'and is kept as it was')

  // Let back in: the home is theirs again.
  await execa('gpasswd', ['-a', name, GROUP])
  const back = await ssh(name, 'cat ~/kept.txt; stat -c %u ~')
  t.equal(back.stdout.toString(), `kept\n${uid}\n`)
})

t.test('a user removed from the host loses their live session and container too', async (t) => {
  const { name, uid } = await makeUser(t)
  const { ended } = await liveSessionWithDetachedProcess(t, name)
  // The session's host processes (sshd's, the login shell's) go with the account.
  await execa('userdel', ['-f', name])
  let finished = false
  void ended.then(() => { finished = true })
  t.ok(await eventually(async () => finished && (await containersOf(name)).length === 0), 'the session ended and the container is gone')
  t.equal(await hostProcessesOf(uid, 'sleep 1'), '', 'nothing of theirs runs anywhere')
  t.ok(existsSync(join(HOME_ROOT, name)), 'the home is kept')
  t.ok(await eventually(async () => statSync(join(HOME_ROOT, name)).uid === 0), 'as root\'s')
})

// Two instances on one host (install.sh --instance, the local bastion beside the bed in
// CI): each judges only the containers on its own network. One of another network's,
// shaped exactly as the shell makes them, survives its user's removal here; before,
// every instance's sweep removed every instance's containers of users it did not allow.
t.test("another instance's container (another network) is left alone by this instance's sweep", async (t) => {
  const { name } = await makeUser(t)
  await ssh(name, 'true')
  const [mine] = await containersOf(name)
  const image = (await execa(DOCKER, ['inspect', '--format', '{{.Config.Image}}', mine!])).stdout.trim()
  const network = `bt-other-${process.pid}`
  await execa(DOCKER, ['network', 'create', network])
  t.teardown(() => execa(DOCKER, ['network', 'rm', network], { reject: false }))
  // Named and labelled for the same person as the shell does it, on the other network.
  await removeContainersOf(name)
  const theirs = (await execa(DOCKER, ['create', '--name', containerName(name), '--network', network, '--label', `bastion.user=${name}`, '--label', 'bastion.config-hash=0', '--entrypoint', 'sleep', image, 'infinity'])).stdout.trim()
  t.teardown(() => execa(DOCKER, ['rm', '-f', theirs], { reject: false }))
  await execa('gpasswd', ['-d', name, GROUP])
  const swept = readFileSync(SHELL_LOG).length
  t.ok(await eventually(async () => readFileSync(SHELL_LOG).subarray(swept).toString().includes(`"user":"${name}"`)), 'this instance has swept, and judged the person (their home)')
  t.equal((await execa(DOCKER, ['inspect', '--format', '{{.State.Status}}', theirs])).stdout.trim(), 'created', "the other instance's container is still there")
})
