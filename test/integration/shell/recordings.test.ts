// Every session is on record (issue 11, items 2 and 3): a shell over pipes is recorded
// like a TTY session, each audit line names its command and, for scp, sftp and rsync,
// the kind and direction of the transfer; and recordings stop at their cap, per session
// and per user, while the session goes on and the recording and the log say so.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { RSYNC, SCP, SFTP, SSH, remote, rsyncSshCommand, scpArgs, sftpArgs, ssh, sshArgs } from '../../fixtures/ssh.ts'
import { sessionLines, sleep, withShellConfig } from '../../fixtures/shell.ts'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'
const AUDIT = { file: '/var/log/bastion-testbed/sessions.jsonl', recordingsDir: '/var/log/bastion-testbed/recordings' }

type Event = [number, string, string]
function recording (file: string): { header: Record<string, unknown>, events: Event[] } {
  const [header, ...events] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  return { header, events }
}

// The start and end lines of `user`'s sessions since `before` (an index into the trail).
// Other suites may log in at the same time, so callers pick theirs by what they ran.
function sessionsSince (before: number, user: string): Array<{ start: Record<string, any>, end: Record<string, any> | undefined }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const lines = sessionLines().slice(before)
  return lines.filter((l) => l.event === 'session-start' && l.user === user).map((start) => ({ start, end: lines.find((l) => l.event === 'session-end' && l.session === start.session) }))
}

// The session of `user` since `before` that `pick` chooses, once it has ended: the
// client exits on the exit status, and the recording is closed and the end line
// written just after.
async function endedSession (before: number, user: string, pick: (start: Record<string, any>) => boolean): Promise<{ start: Record<string, any>, end: Record<string, any> | undefined } | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 200; i++) {
    const s = sessionsSince(before, user).find((x) => pick(x.start))
    if (s?.end !== undefined) return s
    await sleep(50)
  }
  return sessionsSince(before, user).find((x) => pick(x.start))
}

const recorded = (s: { start: Record<string, unknown> }, text: string): boolean =>
  typeof s.start.recording === 'string' && readFileSync(s.start.recording, 'utf8').includes(text)

t.test('a shell over pipes (ssh -T, no command) is recorded: what goes in and what comes out', async (t) => {
  const before = sessionLines().length
  const r = await execa(SSH, sshArgs('bt-alice', ['-T']), { input: 'echo piped-$((6*7))\necho to-err >&2\nexit 3\n', reject: false })
  t.equal(r.exitCode, 3)
  t.match(r.stdout, /(^|\n)piped-42$/)
  const s = await endedSession(before, 'bt-alice', (start) => start.kind === 'shell' && start.tty === false && recorded({ start }, 'echo piped-'))
  t.match(s?.start, { kind: 'shell', command: 'bash -l', transfer: null, tty: false, recording: /\/bt-alice\/.*\.cast$/ })
  const { header, events } = recording(String(s?.start.recording))
  t.match(header, { version: 2 })
  t.ok(events.some((e) => e[1] === 'i' && e[2].includes('echo piped-$((6*7))')), 'the input, which nothing echoes, is in it')
  t.ok(events.some((e) => e[1] === 'o' && e[2].includes('piped-42')), 'the output is in it')
  t.ok(events.some((e) => e[1] === 'o' && e[2].includes('to-err')), 'and the errors')
  t.match(s?.end, { exitCode: 3, recordingCut: false })
})

t.test('a command without a TTY is recorded too, and its audit line names it', async (t) => {
  const before = sessionLines().length
  await ssh('bt-alice', 'bash -c "echo nested-$((2*21))"')
  const s = await endedSession(before, 'bt-alice', (start) => start.command === 'bash -c "echo nested-$((2*21))"')
  t.match(s?.start, { kind: 'command', transfer: null, tty: false, recording: /\.cast$/ })
  t.ok(recording(String(s?.start.recording)).events.some((e) => e[1] === 'o' && e[2].includes('nested-42')))
})

t.test('scp, sftp and rsync sessions name the kind and direction of the transfer and its paths, and are not recorded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-kind-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const src = join(dir, 'payload.bin')
  writeFileSync(src, randomBytes(64 * 1024))
  const name = `kind-${randomBytes(4).toString('hex')}`
  const step = async (run: () => Promise<unknown>): Promise<Record<string, any>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const before = sessionLines().length
    await run()
    // The one session of bt-alice that ran meanwhile and names no other command.
    const mine = sessionsSince(before, 'bt-alice').filter((s) => s.start.kind !== 'command' && s.start.kind !== 'shell')
    t.equal(mine.length, 1, 'one transfer session')
    return mine[0]?.start ?? {}
  }
  t.match(await step(() => execa(SCP, [...scpArgs(['-O']), src, remote('bt-alice', `${name}.bin`)])), { kind: 'scp', transfer: { direction: 'upload', paths: [`${name}.bin`] }, recording: null })
  t.match(await step(() => execa(SCP, [...scpArgs(['-O']), remote('bt-alice', `${name}.bin`), join(dir, 'back-legacy.bin')])), { kind: 'scp', transfer: { direction: 'download', paths: [`${name}.bin`] }, recording: null })
  // scp of OpenSSH 9 speaks sftp unless -O.
  t.match(await step(() => execa(SCP, [...scpArgs(), src, remote('bt-alice', `${name}-2.bin`)])), { kind: 'sftp', transfer: { direction: 'both', paths: [] }, command: /sftp-server$/, recording: null })
  t.match(await step(() => execa(SFTP, [...sftpArgs('bt-alice', ['-b', '-'])], { input: `put ${src} ${name}-3.bin\n` })), { kind: 'sftp', transfer: { direction: 'both' }, recording: null })
  t.match(await step(() => execa(RSYNC, ['-a', '-e', rsyncSshCommand(), src, remote('bt-alice', `${name}-4.bin`)])), { kind: 'rsync', transfer: { direction: 'upload', paths: [`${name}-4.bin`] }, recording: null })
  t.match(await step(() => execa(RSYNC, ['-a', '-e', rsyncSshCommand(), remote('bt-alice', `${name}-4.bin`), join(dir, 'back-rsync.bin')])), { kind: 'rsync', transfer: { direction: 'download', paths: [`${name}-4.bin`] }, recording: null })
  await ssh('bt-alice', `rm -f ${name}*.bin`)
})

t.test('a session that outgrows its recording cap goes on; the recording and the log say it was cut', async (t) => {
  withShellConfig(t, { audit: { ...AUDIT, maxSessionRecordingKb: 8 } })
  const logFrom = statSync(SHELL_LOG).size
  const before = sessionLines().length
  const r = await ssh('bt-alice', 'for i in $(seq 1 3000); do echo "line $i of the output"; done; echo after-the-cap', { tty: true })
  t.equal(r.exitCode, 0)
  const out = r.stdout.toString()
  t.match(out, /line 3000 of the output\r\nafter-the-cap/, 'the user got every line: the session went on')
  const s = await endedSession(before, 'bt-alice', (start) => String(start.command).includes('after-the-cap'))
  const file = String(s?.start.recording)
  t.ok(statSync(file).size <= 8 * 1024, `the recording stayed under 8 KiB (${statSync(file).size} bytes)`)
  const { events } = recording(file)
  t.ok(events.some((e) => e[1] === 'o' && e[2].includes('line 1 of the output')), 'it holds the start of the session')
  t.notOk(events.some((e) => e[2].includes('after-the-cap')), 'and nothing past the cap')
  const marker = events.find((e) => e[1] === 'm')
  t.match(marker?.[2], /^bastion: recording cut at \d+ bytes: this session's recording reached its cap \(8192 bytes\)/)
  t.match(s?.end, { exitCode: 0, recordingCut: true })
  const log = readFileSync(SHELL_LOG, 'utf8').slice(logFrom).trim().split('\n').map((l) => JSON.parse(l))
  t.ok(log.some((l) => l.msg === 'recording cut at its session cap; the session goes on unrecorded' && l.recording === file && l.session === s?.start.session), 'the operator log says so')
})

t.test('once a user\'s recordings fill their cap, a new session is still served and its recording says it was cut at once', async (t) => {
  withShellConfig(t, { audit: { ...AUDIT, maxSessionRecordingKb: 64, maxUserRecordingsKb: 4 } })
  const userDir = join(AUDIT.recordingsDir, 'bt-bob')
  mkdirSync(userDir, { recursive: true, mode: 0o700 })
  const filler = join(userDir, 'zz-test-filler.cast')
  writeFileSync(filler, 'x'.repeat(5000), { mode: 0o600 })
  t.teardown(() => rmSync(filler, { force: true }))
  const logFrom = statSync(SHELL_LOG).size
  const before = sessionLines().length
  const r = await ssh('bt-bob', 'echo over-the-user-cap', { tty: true })
  t.equal(r.exitCode, 0)
  t.match(r.stdout.toString(), /over-the-user-cap/)
  const s = await endedSession(before, 'bt-bob', (start) => start.command === 'echo over-the-user-cap')
  const { events } = recording(String(s?.start.recording))
  t.notOk(events.some((e) => e[2].includes('over-the-user-cap')), 'nothing of the session is recorded')
  t.match(events.find((e) => e[1] === 'm')?.[2], /the user's recordings reached their cap/)
  t.match(s?.end, { recordingCut: true })
  const log = readFileSync(SHELL_LOG, 'utf8').slice(logFrom).trim().split('\n').map((l) => JSON.parse(l))
  t.ok(log.some((l) => l.msg === 'recording cut at its user cap; the session goes on unrecorded' && l.session === s?.start.session))
})
