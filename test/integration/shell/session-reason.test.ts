// shell.reason on the real sshd (one of the test's own, with this tree's drop-in), the
// real OpenSSH client, this tree's login shell, client, broker and agent (an install.sh
// instance of the test's own, so that the shared bed's broker is not touched), and
// Docker: a command gives its reason with `ssh -o SetEnv=BASTION_REASON=...` and the
// session-start line has it; with `required` a login without one is refused with its
// code before any container work; an interactive login is asked on its terminal; a
// reason with an escape is refused; and sshd accepts no other variable from SetEnv.
import t from 'tap'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { spawn as spawnPty } from 'node-pty'
import { parse } from 'yaml'
import { SSH, sshFacts } from '../../fixtures/ssh.ts'
import { startSshd } from '../../fixtures/sshd-instance.ts'
import { containersOf, removeContainersOf, SHELL_CONFIG } from '../../fixtures/shell.ts'
import { startShellInstance } from '../../fixtures/shell-instance.ts'

const facts = sshFacts()
const USER = 'bt-reason'
const PLAIN = 'bt-plain' // /bin/bash: what sshd itself hands a login shell

// The bed's config with this instance's run directory, agent and files, and `reason`.
// The broker's main process, which tells the client the mode, reads the config again at
// most once a second (the worker that enforces it reads it at each login): configure()
// waits that second, or the next prompt would follow the previous mode.
async function configure (reason: 'off' | 'optional' | 'required'): Promise<void> {
  shell.writeConfig({ reason })
  await sleep(1100)
}
const shell = await startShellInstance(t, 'reason', { reason: 'optional' })
const AUDIT = shell.audit
const LOGIN_SHELL = shell.loginShell

if ((await execa('id', [USER], { reject: false })).exitCode !== 0) await execa('useradd', ['-m', '-s', LOGIN_SHELL, '-G', 'bastion-users', USER])
t.teardown(async () => {
  await removeContainersOf(USER)
  await execa('userdel', ['-r', USER], { reject: false })
  rmSync(join(parse(readFileSync(SHELL_CONFIG, 'utf8')).shell.homeRoot as string, USER), { recursive: true, force: true })
})
await removeContainersOf(USER)

const sshd = await startSshd(t, [USER, PLAIN])
const pub = readFileSync(`${facts.key}.pub`, 'utf8')
sshd.authorize(USER, [pub])
sshd.authorize(PLAIN, [pub])

const run = (user: string, command: string, extra: string[] = []): Promise<{ exitCode: number, stdout: string, stderr: string }> => sshd.ssh(user, [facts.key], command, ['-T', ...extra])
const starts = (): Array<Record<string, any>> => existsSync(AUDIT) // eslint-disable-line @typescript-eslint/no-explicit-any
  ? readFileSync(AUDIT, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)).filter((l) => l.event === 'session-start' && l.user === USER)
  : []

t.test('with required, a command without a reason is refused with its code, before any container is made', async (t) => {
  await configure('required')
  t.same(await containersOf(USER), [], 'no container yet')
  const r = await run(USER, 'echo ran')
  t.equal(r.exitCode, 125)
  t.match(r.stderr, /^bastion: This bastion needs a reason for every session: .*SetEnv=BASTION_REASON=.* \(BASTION_SHELL_REASON_REQUIRED\)$/m)
  t.notMatch(r.stdout, /ran/)
  t.same(starts(), [], 'no session-start line')
  t.same(await containersOf(USER), [], 'no container was made')
})

t.test('ssh -o SetEnv=BASTION_REASON=INC-123 records the reason in the session-start line', async (t) => {
  await configure('required')
  const r = await run(USER, 'echo ran; printenv BASTION_REASON || echo no-such-variable', ['-o', 'SetEnv=BASTION_REASON="INC-123 pods crash-looping"'])
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout, 'ran\nno-such-variable', 'the command ran, and the reason stays out of the container\'s environment')
  const start = starts().at(-1)
  t.match(start, { kind: 'command', command: 'echo ran; printenv BASTION_REASON || echo no-such-variable', statedReason: 'INC-123 pods crash-looping' })
  // The end line follows the exit status the client already has.
  const endOf = (): Record<string, unknown> | undefined => readFileSync(AUDIT, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.event === 'session-end' && l.session === start?.session)
  for (let i = 0; i < 100 && endOf() === undefined; i++) await sleep(50)
  const end = endOf()
  t.match(end, { statedReason: 'INC-123 pods crash-looping', reason: 'exited' }, 'the end line keeps both: the person\'s and why it ended')
})

t.test('a reason with an escape or a bidi override is refused with its code, and nothing runs', async (t) => {
  await configure('optional')
  for (const reason of ['INC-1 \u001b[2J\u001b[31mfine', 'INC-1 \u202eexe.gnp']) {
    const before = starts().length
    const r = await run(USER, 'echo ran', ['-o', `SetEnv=BASTION_REASON="${reason}"`])
    t.equal(r.exitCode, 125, JSON.stringify(reason))
    t.match(r.stderr, /\(BASTION_SHELL_REASON_INVALID\)$/m)
    t.notMatch(r.stdout, /ran/)
    t.equal(starts().length, before, 'no session-start line')
  }
})

t.test('with off, a sent reason is not recorded', async (t) => {
  await configure('off')
  const r = await run(USER, 'true', ['-o', 'SetEnv=BASTION_REASON=INC-9'])
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(starts().at(-1)?.statedReason, null)
})

t.test('an interactive ssh -tt login is asked on its terminal, and the answer is recorded', async (t) => {
  await configure('required')
  const term = spawnPty(SSH, sshd.sshArgs(USER, [facts.key], '', ['-tt']), { name: 'xterm-256color', cols: 100, rows: 30, env: { PATH: '/usr/bin:/bin', HOME: '/root' } })
  let out = ''
  term.onData((d) => { out += d })
  const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)))
  t.teardown(() => { try { term.kill() } catch { /* gone */ } })
  const waitFor = async (re: RegExp, from = 0): Promise<void> => {
    for (let i = 0; i < 300 && !re.test(out.slice(from)); i++) await sleep(100)
    if (!re.test(out.slice(from))) throw new Error(`waiting for ${re}; the terminal shows ${JSON.stringify(out)}`)
  }
  await waitFor(/Reason for this session \(ticket or a few words\): $/)
  t.notMatch(out, /Enter to skip/, 'required: no offer to skip')
  const mark = out.length
  term.write('\r') // an empty answer is asked again
  await waitFor(/Reason for this session \(ticket or a few words\): $/, mark)
  term.write('INC-77 cert rotation\r')
  await waitFor(/\$ $/)
  term.write('echo inside-$((6*7)); exit 3\r')
  t.equal(await exited, 3)
  t.match(out, /inside-42/)
  t.match(starts().at(-1), { kind: 'shell', tty: true, command: 'bash -l', statedReason: 'INC-77 cert rotation' })
})

t.test('sshd takes BASTION_REASON from SetEnv and no other variable', async (t) => {
  // A plain /bin/bash login shows what sshd itself put in the environment.
  const r = await run(PLAIN, 'printenv BASTION_REASON; printenv BASTION_REASON_X LD_PRELOAD BASTION_REASONX || echo none-of-the-others', [
    '-o', 'SetEnv=BASTION_REASON=INC-5 BASTION_REASON_X=x LD_PRELOAD=/tmp/evil.so BASTION_REASONX=y'
  ])
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout, 'INC-5\nnone-of-the-others')
})
