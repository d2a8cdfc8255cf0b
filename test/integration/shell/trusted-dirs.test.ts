// The directories root writes for users are root's all the way up, on the real sshd and
// broker: a shell.homeRoot reached through a symbolic link (one a user could have made
// to point root's writes elsewhere) refuses the login with the config code, the log names
// the key, and the link's target gets nothing.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { ssh } from '../../fixtures/ssh.ts'
import { HOME_ROOT, sleep, withShellConfig } from '../../fixtures/shell.ts'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'

t.test('a homeRoot under a symbolic link refuses the login, and the log names shell.homeRoot', async (t) => {
  const dir = mkdtempSync('/var/lib/bt-trusted-')
  chmodSync(dir, 0o755)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  symlinkSync(join(HOME_ROOT, '..'), join(dir, 'link'))
  withShellConfig(t, { homeRoot: join(dir, 'link', 'home') })
  const from = statSync(SHELL_LOG).size
  const r = await ssh('bt-bob', 'echo ran', { timeoutMs: 60_000 })
  t.equal(r.exitCode, 125)
  t.equal(r.stderr, 'bastion: The bastion is misconfigured. Please tell the operators. (BASTION_SHELL_CONFIG_INVALID)\n')
  t.notMatch(r.stdout.toString(), /ran/, 'nothing ran')
  let logged = ''
  for (let i = 0; i < 40 && !logged.includes('shell.homeRoot'); i++) { await sleep(100); logged = readFileSync(SHELL_LOG, 'utf8').slice(from) }
  t.match(logged, `shell.homeRoot (${dir}/link/home) cannot be trusted: ${dir}/link is a symbolic link`)
})
