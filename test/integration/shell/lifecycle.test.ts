// Around the session: audit lines and recordings, clear messages for failures, idle and
// maximum-length limits, no process left behind when the client dies, and gc.
import t from 'tap'
import { existsSync, readFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { interactive, ssh, sshArgs, SSH, sshFacts } from '../../fixtures/ssh.ts'
import { DOCKER, containersOf, sessionLines, sleep, withShellConfig } from '../../fixtures/shell.ts'

const psIn = async (user: string): Promise<string> =>
  (await execa(DOCKER, ['top', (await containersOf(user))[0] ?? '', '-eo', 'pid,args'])).stdout

t.test('every session leaves a start and an end line naming the human, the source, the container, the command and the outcome', async (t) => {
  const before = sessionLines().length
  await ssh('bt-alice', 'echo audited; exit 5')
  const lines = sessionLines().slice(before)
  const start = lines.find((l) => l.event === 'session-start' && l.command === 'echo audited; exit 5')
  const end = lines.find((l) => l.event === 'session-end' && l.session === start?.session)
  t.match(start, { user: 'bt-alice', uid: Number((await execa('id', ['-u', 'bt-alice'])).stdout), source: { ip: '127.0.0.1' }, container: /^shell-bt-alice-/, kind: 'command', transfer: null, tty: false, recording: /\/bt-alice\/.*\.cast$/ })
  t.match(end, { user: 'bt-alice', exitCode: 5, reason: 'exited' })
  t.ok(typeof end?.durationMs === 'number' && end.durationMs >= 0, 'a duration')
})

t.test('a TTY session is recorded as asciicast v2 that asciinema can play back', async (t) => {
  const before = sessionLines().length
  const term = interactive('bt-alice', { cols: 90, rows: 30 })
  t.teardown(() => term.kill())
  await term.waitFor(/\$ $/m, 20_000)
  term.write('echo recorded-$((6*7))\r')
  await term.waitFor(/recorded-42/)
  term.write('exit\r')
  await term.exit
  const start = sessionLines().slice(before).find((l) => l.event === 'session-start' && l.tty === true)
  const file = start?.recording as string
  t.ok(existsSync(file), 'the recording named in the audit line exists')
  const [header, ...events] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  t.match(header, { version: 2, width: 90, height: 30 })
  t.ok(events.some((e) => e[1] === 'o' && String(e[2]).includes('recorded-42')), 'the output is in it')
  // asciinema cat wants a terminal of its own: give it one with script(1).
  const played = await execa('script', ['-qec', `asciinema cat ${file}`, '/dev/null'])
  t.match(played.stdout, /recorded-42/, 'asciinema reads it')
})

t.test('recording can be turned off', async (t) => {
  withShellConfig(t, { audit: { file: '/var/log/bastion-testbed/sessions.jsonl', recordingsDir: '/var/log/bastion-testbed/recordings', record: false } })
  const before = sessionLines().length
  await ssh('bt-alice', 'true', { tty: true })
  const start = sessionLines().slice(before).find((l) => l.event === 'session-start')
  t.equal(start?.recording, null)
})

t.test('when the client is killed with -9 nothing it started lives on in the container', async (t) => {
  for (const tty of [false, true]) {
    const marker = tty ? 'sleep 311' : 'sleep 301'
    const client = execa(SSH, [...sshArgs('bt-bob', [tty ? '-tt' : '-T']), `${marker}; true`], { reject: false, stdin: tty ? 'pipe' : 'ignore' })
    await sleep(2000)
    t.match(await psIn('bt-bob'), marker, `${marker} runs (tty ${tty})`)
    client.kill('SIGKILL')
    await client
    let gone = false
    for (let i = 0; i < 20 && !gone; i++) { await sleep(250); gone = !(await psIn('bt-bob')).includes(marker) }
    t.ok(gone, `${marker} is gone after the client died (tty ${tty})`)
  }
})

t.test('an idle session ends with a message, and so does one past its maximum length', async (t) => {
  withShellConfig(t, { idleTimeoutSeconds: 2 })
  const idle = await ssh('bt-bob', 'sleep 30', { timeoutMs: 20_000 })
  t.not(idle.exitCode, 0)
  t.match(idle.stderr, /^bastion: session ended after 2 seconds without activity\n$/, 'a limit under a minute is said in seconds, not as 0 minutes')
  const chatty = await ssh('bt-bob', 'for i in 1 2 3 4; do echo tick; sleep 1; done', { timeoutMs: 20_000 })
  t.equal(chatty.exitCode, 0, 'output counts as activity')
})

t.test('a session past its maximum length is ended', async (t) => {
  withShellConfig(t, { maxSessionSeconds: 2 })
  const r = await ssh('bt-bob', 'while true; do echo busy; sleep 0.5; done', { timeoutMs: 20_000 })
  t.not(r.exitCode, 0)
  t.match(r.stderr, /bastion: session reached its maximum length/)
})

t.test('failures get one short sentence with a code, status 125, and the detail only in the log', async (t) => {
  for (const [patch, code, detail] of [
    [{ dockerSocket: '/run/bastion-testbed-no-docker.sock' }, 'BASTION_SHELL_DOCKER_UNAVAILABLE', /no-docker\.sock/],
    [{ image: 'bastion/no-such-image:1' }, 'BASTION_SHELL_IMAGE_MISSING', /no-such-image/]
  ] as const) {
    const tt = t
    await tt.test(code, async (t) => {
      withShellConfig(t, patch)
      const r = await ssh('bt-alice', 'true', { timeoutMs: 60_000 })
      t.equal(r.exitCode, 125)
      t.match(r.stderr, new RegExp(`^bastion: [^\\n]+ \\(${code}\\)\\n$`))
      t.notMatch(r.stderr, detail, 'no detail for the user')
      const log = readFileSync('/var/log/bastion-testbed/shell.log', 'utf8').trim().split('\n').slice(-5).join('\n')
      t.match(log, detail, 'the detail is in the log')
    })
  }
})

t.test('gc removes containers idle past the configured age, and keeps busy ones', async (t) => {
  await ssh('bt-carol', 'true')
  await ssh('bt-bob', 'true')
  const busy = execa(SSH, [...sshArgs('bt-bob', ['-T']), 'sleep 8'], { reject: false, stdin: 'ignore' })
  await sleep(1500)
  withShellConfig(t, { gcIdleSeconds: 60 })
  const old = new Date(Date.now() - 3600_000)
  for (const user of ['bt-carol', 'bt-bob']) {
    const name = (await execa(DOCKER, ['inspect', '-f', '{{.Name}}', (await containersOf(user))[0]!])).stdout.replace(/^\//, '')
    utimesSync(join('/var/lib/bastion-testbed/state/activity', name), old, old)
  }
  const r = await execa(sshFacts().shellBin, ['gc'])
  t.match(r.stdout, /^removed \d+ idle container\(s\), kept \d+\n?$/)
  t.same(await containersOf('bt-carol'), [], 'the idle one is gone')
  t.equal((await containersOf('bt-bob')).length, 1, 'the one with a live session stays')
  await busy
  t.equal((await ssh('bt-carol', 'echo back')).stdout.toString(), 'back\n', 'the next login recreates it')
})
