// Host commands: exit statuses are answers, a command that cannot run is an error.
import t from 'tap'
import { execaExec, runOk } from '../../src/setup/exec.ts'

t.test("the real runner returns exit status and output, with a fixed locale and none of the caller's environment", async (t) => {
  process.env.BT_UNIT_LEAK = 'leaked'
  t.teardown(() => { delete process.env.BT_UNIT_LEAK })
  const exec = execaExec()
  const r = await exec.run('/bin/sh', ['-c', 'echo "$LC_ALL/${BT_UNIT_LEAK-}/$PATH"; echo err >&2; exit 3'])
  t.same(r, { exitCode: 3, stdout: 'C///usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', stderr: 'err' })
})

t.test('a command that cannot start, or runs too long, is COMMAND_FAILED', async (t) => {
  const exec = execaExec()
  await t.rejects(exec.run('/nonexistent/bin', []), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED', message: /\/nonexistent\/bin could not run/ })
  await t.rejects(exec.run('/bin/sleep', ['5'], { timeoutMs: 100 }), { code: 'BASTION_ADMIN_SETUP_COMMAND_FAILED' })
})

t.test('runOk insists on exit 0 and shows the command and its last words', async (t) => {
  const exec = execaExec()
  t.equal((await runOk(exec, '/bin/echo', ['hi'])).stdout, 'hi')
  await t.rejects(runOk(exec, '/bin/sh', ['-c', 'echo one >&2; echo two >&2; exit 4']), { message: '/bin/sh -c echo one >&2; echo two >&2; exit 4 exited with 4: one / two' })
  await t.rejects(runOk(exec, '/bin/sh', ['-c', 'echo out; exit 1']), { message: /exited with 1: out$/ })
  await t.rejects(runOk(exec, '/bin/false', []), { message: '/bin/false exited with 1' })
})
