// A user whose container is out of processes (a runaway loop holding every slot of
// shell.limits.pids) gets the short limits message and a non-zero exit at the next
// login, instead of a shell that cannot fork; the operator's log has the numbers.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { ssh } from '../../fixtures/ssh.ts'
import { containersOf, removeContainersOf, sleep } from '../../fixtures/shell.ts'
import { bedFacts } from '../../fixtures/testbed.ts'
import { parse } from 'yaml'

const USER = 'bt-carol'
const config = parse(readFileSync(bedFacts()('BASTION_TEST_SHELL_CONFIG'), 'utf8')) as { shell: { limits: { pids: number }, log: { file: string } } }
const LIMIT = config.shell.limits.pids

// The tasks the container's pids cgroup counts (processes and threads: the agent's
// threads take their share of the limit too).
function tasks (id: string): number {
  const dir = existsSync(`/sys/fs/cgroup/pids/docker/${id}`) ? `/sys/fs/cgroup/pids/docker/${id}` : `/sys/fs/cgroup/system.slice/docker-${id}.scope`
  return Number(readFileSync(`${dir}/pids.current`, 'utf8'))
}

t.test('a container with every process slot taken: the login says so and exits non-zero', async (t) => {
  await removeContainersOf(USER)
  t.teardown(() => removeContainersOf(USER))
  // A loop that forks until the cgroup is full and keeps retrying, detached from the session.
  const filler = await ssh(USER, 'setsid bash -c "while :; do sleep 600 & done" </dev/null >/dev/null 2>&1 & echo started')
  t.equal(filler.stdout.toString(), 'started\n')
  const [id] = await containersOf(USER)
  t.ok(id, 'the container exists')
  let n = 0
  for (let i = 0; i < 200 && (n = tasks(id!)) < LIMIT; i++) await sleep(100)
  t.equal(n, LIMIT, `the container runs all ${LIMIT} tasks it may`)

  const logBefore = readFileSync(config.shell.log.file, 'utf8').length
  const login = await ssh(USER, 'echo should-not-run')
  t.equal(login.exitCode, 125, 'non-zero exit')
  t.equal(login.stdout.toString(), '', 'nothing ran')
  t.equal(login.stderr, 'bastion: Your workstation hit a resource limit (all its processes are in use). Please tell the operators. (BASTION_SHELL_LIMITS_REACHED)\n')
  const logged = readFileSync(config.shell.log.file, 'utf8').slice(logBefore)
  const line = logged.split('\n').find((l) => l.includes('"code":"BASTION_SHELL_LIMITS_REACHED"'))
  t.match(line, `runs ${LIMIT} of its ${LIMIT} processes`, 'the log has the numbers')

  // The operator's way out (docs/shell/errors.md): remove the container; the next login is fine.
  await removeContainersOf(USER)
  t.equal((await ssh(USER, 'echo back')).stdout.toString(), 'back\n')
})
