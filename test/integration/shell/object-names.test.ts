// A user named like a property every JavaScript object has gets the role named like
// them, on the real sshd, broker and container: `constructor` is a user, not a way to
// reach what shell.roles inherits.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { execa } from 'execa'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { HOME_ROOT, removeContainersOf } from '../../fixtures/shell.ts'

const USER = 'constructor'

t.before(async () => {
  if ((await execa('id', [USER], { reject: false })).exitCode !== 0) await execa('useradd', ['-m', '-s', sshFacts().shellBin, '-G', 'bastion-users', USER])
  const [uid, gid] = [Number((await execa('id', ['-u', USER])).stdout), Number((await execa('id', ['-g', USER])).stdout)]
  mkdirSync(`/home/${USER}/.ssh`, { recursive: true, mode: 0o700 })
  writeFileSync(`/home/${USER}/.ssh/authorized_keys`, readFileSync(`${sshFacts().key}.pub`, 'utf8'), { mode: 0o600 })
  chownSync(`/home/${USER}/.ssh`, uid, gid)
  chownSync(`/home/${USER}/.ssh/authorized_keys`, uid, gid)
  chmodSync(`/home/${USER}/.ssh`, 0o700)
})
t.teardown(async () => {
  await removeContainersOf(USER)
  await execa('userdel', ['-r', USER], { reject: false })
  rmSync(`${HOME_ROOT}/${USER}`, { recursive: true, force: true })
})

t.test('a user named constructor logs in, and the container\'s IAM_ROLE is "constructor"', async (t) => {
  const r = await ssh(USER, 'echo "role=$IAM_ROLE"', { timeoutMs: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout.toString(), 'role=constructor\n')
})
