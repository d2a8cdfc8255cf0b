// A user named like a property every JavaScript object has gets the role named like
// them, on the real sshd, broker and container: `constructor` is a user, not a way to
// reach what shell.roles inherits.
import t from 'tap'
import { ssh } from '../../fixtures/ssh.ts'
import { ownUser } from '../../fixtures/shell.ts'

const USER = 'constructor'

await ownUser(t, USER)

t.test('a user named constructor logs in, and the container\'s IAM_ROLE is "constructor"', async (t) => {
  const r = await ssh(USER, 'echo "role=$IAM_ROLE"', { timeoutMs: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout.toString(), 'role=constructor\n')
})
