// bastion-shell puts the terminal in raw mode for a TTY session and must hand it back
// in the mode it found it, however the session ends: the command's own exit, the
// container killed under it, the session's worker in the broker told to stop (a hang-up,
// an idle or maximum-length end), the login shell itself told to stop (sshd's hang-up),
// or a login refused before the session starts. The terminal here is a real pty
// that outlives bastion-shell, so `stty -a` run after it shows what it left behind.
import t, { type Test } from 'tap'
import { spawn as spawnPty } from 'node-pty'
import { execa } from 'execa'
import { sshFacts } from '../../fixtures/ssh.ts'
import { readFileSync } from 'node:fs'
import { DOCKER, containersOf, sleep } from '../../fixtures/shell.ts'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'

const SHELL = sshFacts().shellBin

interface Run { output: () => string, done: Promise<string> }

// Runs bastion-shell -c COMMAND as USER on a fresh pty, then `stty -a` on that same pty.
function onTerminal (user: string, command: string): Run {
  const script = `tty; ${SHELL} -c "$1"; echo "RC=$?"; stty -a`
  const term = spawnPty('/usr/sbin/runuser', ['-u', user, '--', '/bin/bash', '--norc', '--noprofile', '-c', script, 'bash', command], {
    name: 'xterm-256color', cols: 100, rows: 30, env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color' }
  })
  let out = ''
  term.onData((d) => { out += d })
  const done = new Promise<string>((resolve) => term.onExit(() => resolve(out)))
  return { output: () => out, done }
}

// The modes raw mode turns off, as `stty -a` prints them when they are on.
function assertCooked (t: Test, out: string, what: string): void {
  const after = out.slice(out.lastIndexOf('RC='))
  t.match(after, /\bicanon\b/, `${what}: canonical mode is back`)
  t.match(after, /(^|\s)echo\s/, `${what}: echo is back`)
  t.notMatch(after, /-icanon|\s-echo\s/, `${what}: nothing raw is left`)
}

async function waitForProcess (user: string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const [id] = await containersOf(user)
    if (id !== undefined) {
      const top = await execa(DOCKER, ['top', id], { reject: false })
      if (pattern.test(top.stdout)) return id
    }
    await sleep(100)
  }
  throw new Error(`no ${pattern} in ${user}'s container`)
}

t.test('the command exits with a code: the terminal is cooked again', async (t) => {
  const run = onTerminal('bt-alice', 'sleep 3; exit 3')
  await waitForProcess('bt-alice', /sleep 3$/m)
  const pts = /\/dev\/pts\/\d+/.exec(run.output())?.[0]
  t.ok(pts, 'the terminal is a pty')
  const during = await execa('stty', ['-a', '-F', pts!])
  t.match(during.stdout, /-icanon/, 'during the session it is raw (the keys go to the container as typed)')
  const out = await run.done
  t.match(out, /RC=3/)
  assertCooked(t, out, 'after exit 3')
})

t.test('the container is killed under the session: the terminal is cooked again', async (t) => {
  const run = onTerminal('bt-alice', 'sleep 41')
  const id = await waitForProcess('bt-alice', /sleep 41/)
  await execa(DOCKER, ['kill', id])
  const out = await run.done
  t.match(out, /RC=\d+/)
  t.notMatch(out, /RC=0\b/, 'a killed session is not a success')
  assertCooked(t, out, 'after docker kill')
})

// The broker worker serving the session that runs COMMAND: the pid of its log line.
async function workerOf (command: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const line = readFileSync(SHELL_LOG, 'utf8').trim().split('\n').reverse().map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'session started' && l.command === command)
    if (typeof line?.pid === 'number') return line.pid
    await sleep(100)
  }
  throw new Error(`no session started for ${command}`)
}

t.test('the session\'s worker is told to stop (a hang-up, idle or maximum length): the terminal is cooked again', async (t) => {
  const run = onTerminal('bt-alice', 'sleep 42')
  await waitForProcess('bt-alice', /sleep 42/)
  const pid = await workerOf('sleep 42')
  process.kill(pid, 'SIGTERM')
  const out = await run.done
  t.notMatch(out, /RC=0\b/)
  assertCooked(t, out, 'after SIGTERM to the worker')
  t.notMatch((await execa(DOCKER, ['top', (await containersOf('bt-alice'))[0]!])).stdout, /sleep 42/, 'the session\'s processes are gone')
})

t.test('the login shell itself is told to stop, as sshd does at a hang-up: the terminal is cooked again', async (t) => {
  const run = onTerminal('bt-alice', 'sleep 43')
  await waitForProcess('bt-alice', /sleep 43/)
  const client = await execa('pgrep', ['-u', 'bt-alice', '-f', `${sshFacts().client} --socket`])
  const pid = Number(client.stdout.trim().split('\n')[0])
  t.ok(pid > 0, 'found the login shell\'s client')
  process.kill(pid, 'SIGHUP')
  const out = await run.done
  t.match(out, /RC=129\b/, '128 + SIGHUP')
  assertCooked(t, out, 'after SIGHUP to the login shell')
  let gone = false
  for (let i = 0; i < 40 && !gone; i++) { await sleep(100); gone = !/sleep 43/.test((await execa(DOCKER, ['top', (await containersOf('bt-alice'))[0]!])).stdout) }
  t.ok(gone, 'the session\'s processes are gone')
})

t.test('a login refused before the session starts leaves the terminal as it was', async (t) => {
  const out = await onTerminal('bt-outsider', 'true').done
  t.match(out, /BASTION_SHELL_NOT_ALLOWED/)
  t.match(out, /RC=125/)
  assertCooked(t, out, 'after a refused login')
})
