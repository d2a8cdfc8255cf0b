// The audit is fail-closed, on the real sshd, broker and container: with the audit
// trail on a small tmpfs this test mounts, a full filesystem and then a read-only one
// refuse the login with the audit code, the command never runs (its marker in the
// user's home is never made), and the operator log has the system's reason. Once the
// filesystem is writable again, logins and their start lines are back.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { execa } from 'execa'
import { parse } from 'yaml'
import { ssh } from '../../fixtures/ssh.ts'
import { HOME_ROOT, SHELL_CONFIG, sleep, withShellConfig } from '../../fixtures/shell.ts'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'
const REFUSED = 'bastion: The bastion cannot record your session right now, so it does not start it. Please tell the operators. (BASTION_SHELL_AUDIT_UNAVAILABLE)\n'

const mnt = mkdtempSync(join(tmpdir(), 'bt-audit-'))
await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0750', 'bt-audit', mnt])
t.teardown(async () => {
  await execa('umount', [mnt], { reject: false })
  rmSync(mnt, { recursive: true, force: true })
})
const file = join(mnt, 'sessions.jsonl')
const audit = (parse(readFileSync(SHELL_CONFIG, 'utf8')) as { shell: { audit?: Record<string, unknown> } }).shell.audit ?? {}
withShellConfig(t, { audit: { ...audit, file } })

// One login that would leave a marker in the user's home if its command ran.
async function attempt (why: string): Promise<{ exitCode: number, stderr: string, ran: boolean, logged: string }> {
  const name = `ran-${randomBytes(4).toString('hex')}`
  const marker = join(HOME_ROOT, 'bt-bob', name)
  t.teardown(() => rmSync(marker, { force: true }))
  const from = statSync(SHELL_LOG).size
  const r = await ssh('bt-bob', `touch ~/${name}; echo ran`, { timeoutMs: 60_000 })
  // What the worker logged, once it did.
  let logged = ''
  for (let i = 0; i < 40 && !logged.includes('BASTION_SHELL_AUDIT_UNAVAILABLE') && r.exitCode !== 0; i++) { await sleep(100); logged = readFileSync(SHELL_LOG, 'utf8').slice(from) }
  t.comment(why)
  return { exitCode: r.exitCode, stderr: r.stderr, ran: existsSync(marker) || r.stdout.toString().includes('ran'), logged }
}

t.test('a full audit filesystem refuses the login before its command runs, and the log says why', async (t) => {
  // The container first, so that what is refused below is only the audit.
  t.equal((await ssh('bt-bob', 'true', { timeoutMs: 60_000 })).exitCode, 0, 'a login works while there is room')
  t.match(readFileSync(file, 'utf8'), /"event":"session-start"/, 'and its start line went to the tmpfs')
  // tmpfs hands out whole pages: the trail's last page would still take a short line.
  rmSync(file)
  const filler = join(mnt, 'filler')
  try { writeFileSync(filler, Buffer.alloc(128 * 1024)) } catch (err) { t.equal((err as NodeJS.ErrnoException).code, 'ENOSPC', 'the filesystem is full') }
  t.teardown(() => rmSync(filler, { force: true }))
  const r = await attempt('full')
  t.equal(r.exitCode, 125)
  t.equal(r.stderr, REFUSED)
  t.notOk(r.ran, 'the command never ran')
  t.match(r.logged, /ENOSPC/, 'the operator log has the cause')
  rmSync(filler, { force: true })
})

t.test('a read-only audit filesystem refuses the login the same way', async (t) => {
  await execa('mount', ['-o', 'remount,ro', mnt])
  t.teardown(() => execa('mount', ['-o', 'remount,rw', mnt], { reject: false }))
  const r = await attempt('read-only')
  t.equal(r.exitCode, 125)
  t.equal(r.stderr, REFUSED)
  t.notOk(r.ran, 'the command never ran')
  t.match(r.logged, /EROFS/, 'the operator log has the cause')
  await execa('mount', ['-o', 'remount,rw', mnt])
  const back = await ssh('bt-bob', 'echo back', { timeoutMs: 60_000 })
  t.equal(back.stdout.toString(), 'back\n', 'writable again: logins work at once')
})
