// ssh to the bastion works as on a normal host: commands, exit codes, separate stdout
// and stderr, binary-safe pipes, EOF, scp, sftp, rsync and interactive terminals, all
// through the real sshd and OpenSSH clients into the user's container.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { interactive, rsyncSshCommand, scpArgs, sftpArgs, ssh, remote, SCP, SFTP, RSYNC } from '../../fixtures/ssh.ts'
import { HOME_ROOT } from '../../fixtures/shell.ts'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

t.test('a command runs in the container as the user and its exit code comes back', async (t) => {
  const r = await ssh('bt-alice', 'id -un; hostname; pwd; exit 42')
  t.equal(r.exitCode, 42)
  t.equal(r.stdout.toString(), 'bt-alice\nbastion\n/home/bt-alice\n')
})

t.test('a command killed with -9 exits 137', async (t) => {
  t.equal((await ssh('bt-alice', 'kill -9 $$')).exitCode, 137)
})

t.test('without a TTY stdout and stderr stay separate, and nothing else reaches either', async (t) => {
  const r = await ssh('bt-alice', 'echo to-out; echo to-err >&2')
  t.equal(r.stdout.toString(), 'to-out\n')
  t.equal(r.stderr, 'to-err\n', 'no log line or banner on stderr')
})

t.test('a 100 MB random file piped through cat keeps its sha256', async (t) => {
  const data = randomBytes(100 * 1024 * 1024)
  const r = await ssh('bt-alice', 'cat', { input: data, timeoutMs: 120_000 })
  t.equal(r.exitCode, 0)
  t.equal(r.stdout.length, data.length)
  t.equal(sha(r.stdout), sha(data))
})

t.test('stdin is half-closed at EOF so that cat-like commands end', async (t) => {
  const r = await ssh('bt-alice', 'cat; echo after-eof', { input: 'line\n' })
  t.equal(r.stdout.toString(), 'line\nafter-eof\n')
  t.equal(r.exitCode, 0)
})

t.test('scp, sftp and rsync put files in the container home, never in the host home', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-xfer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const src = join(dir, 'payload.bin')
  writeFileSync(src, randomBytes(256 * 1024))
  const want = sha(readFileSync(src))
  await execa(SCP, [...scpArgs(), src, remote('bt-alice', 'via-scp.bin')])
  await execa(SCP, [...scpArgs(['-O']), src, remote('bt-alice', 'via-legacy-scp.bin')])
  await execa(SFTP, [...sftpArgs('bt-alice', ['-b', '-'])], { input: `put ${src} via-sftp.bin\nget via-sftp.bin ${join(dir, 'back.bin')}\n` })
  await execa(RSYNC, ['-a', '-e', rsyncSshCommand(), src, remote('bt-alice', 'via-rsync.bin')])
  for (const name of ['via-scp.bin', 'via-legacy-scp.bin', 'via-sftp.bin', 'via-rsync.bin']) {
    const inHome = join(HOME_ROOT, 'bt-alice', name)
    t.ok(existsSync(inHome), `${name} is in the persistent container home`)
    t.equal(existsSync(inHome) ? sha(readFileSync(inHome)) : '', want, `${name} arrived intact`)
    t.notOk(existsSync(join('/home/bt-alice', name)), `${name} is not in the host home`)
  }
  t.equal(sha(readFileSync(join(dir, 'back.bin'))), want, 'sftp get brings it back intact')
  const listed = await ssh('bt-alice', 'ls via-*.bin | wc -l')
  t.equal(listed.stdout.toString().trim(), '4', 'the container sees them all')
})

t.test('an interactive login gets a TTY of the client size, follows resizes, passes Ctrl-C, and exits with its code', async (t) => {
  const term = interactive('bt-alice', { cols: 100, rows: 33 })
  t.teardown(() => term.kill())
  await term.waitFor(/\$ $/m, 20_000)
  term.write('tty; stty size\r')
  await term.waitFor(/\/dev\/pts\/\d+\s+33 100/)
  term.resize(120, 40)
  await new Promise((r) => setTimeout(r, 300))
  term.write('stty size\r')
  await term.waitFor(/40 120/)
  term.write('sleep 60\r')
  await new Promise((r) => setTimeout(r, 500))
  term.write('\x03')
  await term.waitFor(/\^C/)
  term.write('echo survived-ctrl-c\r')
  await term.waitFor(/[\r\n]survived-ctrl-c/)
  term.write('exit 3\r')
  const { exitCode } = await term.exit
  t.equal(exitCode, 3)
})

t.test('a TTY is allocated in the container only when sshd gave one', async (t) => {
  t.equal((await ssh('bt-alice', 'test -t 0 && echo tty || echo no-tty')).stdout.toString(), 'no-tty\n')
  const withTty = await ssh('bt-alice', 'test -t 0 && echo tty || echo no-tty', { tty: true })
  t.match(withTty.stdout.toString(), /^tty\s*$/)
})
