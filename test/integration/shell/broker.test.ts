// The session broker and the container's agent on the real components: sessions run by
// the agent, live sessions that outlive a restart of the broker, a clear message when
// the broker is down, docker exec for a container without an agent or with one that
// does not answer, and an agent directory the user cannot write.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { execa } from 'execa'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { DOCKER, containersOf, inspect, removeContainersOf, sleep, startBroker, stopBroker, withShellConfig } from '../../fixtures/shell.ts'

const SHELL_LOG = '/var/log/bastion-testbed/shell.log'

// The log lines written since `from` (a byte offset), parsed.
function logSince (from: number): Array<Record<string, unknown>> {
  return readFileSync(SHELL_LOG, 'utf8').slice(from).trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}

const logSize = (): number => statSync(SHELL_LOG).size

t.test('a session runs by the container\'s agent, which is the container\'s main process', async (t) => {
  await removeContainersOf('bt-alice')
  const from = logSize()
  const r = await ssh('bt-alice', 'echo via-agent; ps -o pid=,comm= -p 1 -p $PPID')
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout.toString(), /^via-agent\n/)
  t.match(r.stdout.toString(), /bastion-agent/, 'the session\'s parent is the agent')
  const started = logSince(from).find((l) => l.msg === 'session started')
  t.equal(started?.backend, 'agent')
  const info = await inspect((await containersOf('bt-alice'))[0]!)
  t.match(info.Config.Labels['bastion.agent'], /^[0-9a-f]{16}$/, 'the container carries its agent\'s fingerprint')
})

t.test('the agent\'s session directory is root\'s, and read-only in the container', async (t) => {
  const r = await ssh('bt-alice', 'touch /run/bastion-agent/planted.sock 2>&1; ln -s /var/run/docker.sock /run/bastion-agent/x.sock 2>&1; stat -c "%u %a" /run/bastion-agent')
  t.match(r.stdout.toString(), /Read-only file system[\s\S]*Read-only file system[\s\S]*^0 755$/m)
})

t.test('a live session outlives a restart of the broker, and logins work again once it is back', async (t) => {
  const live = ssh('bt-bob', 'sleep 4; echo survived; exit 7', { timeoutMs: 60_000 })
  await sleep(1500)
  await stopBroker()
  t.teardown(startBroker)
  const down = await ssh('bt-carol', 'true')
  t.equal(down.exitCode, 125, 'with the broker down, a login fails at once')
  t.equal(down.stderr, 'bastion: The session service is not running. Please tell the operators. (BASTION_SHELL_BROKER_UNAVAILABLE)\n')
  await startBroker()
  const r = await live
  t.equal(r.stdout.toString(), 'survived\n', 'the session went on in its own worker')
  t.equal(r.exitCode, 7)
  t.equal((await ssh('bt-carol', 'echo back')).stdout.toString(), 'back\n')
})

t.test('an agent that does not answer: the session runs by docker exec, and the log says why', async (t) => {
  withShellConfig(t, { agent: { path: sshFacts().agent, timeoutMs: 500 } })
  await ssh('bt-carol', 'true')
  const id = (await containersOf('bt-carol'))[0]!
  const top = (await execa(DOCKER, ['top', id, '-eo', 'pid,args'])).stdout.split('\n')
  // The agent itself, not Docker's init, whose command line names it too.
  const agent = top.find((l) => /^\s*\d+\s+\/usr\/local\/libexec\/bastion-agent\b/.test(l))?.trim().split(/\s+/)[0]
  t.ok(agent, 'found the agent on the host')
  process.kill(Number(agent), 'SIGSTOP')
  t.teardown(() => { try { process.kill(Number(agent), 'SIGCONT') } catch { /* the container is gone */ } })
  const from = logSize()
  const r = await ssh('bt-carol', 'echo via-exec; exit 3')
  t.equal(r.stdout.toString(), 'via-exec\n')
  t.equal(r.exitCode, 3)
  const lines = logSince(from)
  t.ok(lines.some((l) => l.msg === 'the agent did not answer: this session uses docker exec'), 'the fallback is logged')
  t.equal(lines.find((l) => l.msg === 'session started')?.backend, 'exec')
})

t.test('without a usable agent binary, containers get none and their sessions use docker exec; a container without an agent is replaced only once idle', async (t) => {
  await removeContainersOf('bt-bob')
  const from = logSize()
  const agentBack = withShellConfig(t, { agent: { path: '/nonexistent/bastion-agent', timeoutMs: 3000 } })
  const r = await ssh('bt-bob', 'echo no-agent')
  t.equal(r.stdout.toString(), 'no-agent\n')
  t.ok(logSince(from).some((l) => l.msg === 'no usable agent binary: new containers get none, and their sessions use docker exec'))
  const legacy = (await containersOf('bt-bob'))[0]!
  t.equal((await inspect(legacy)).Config.Labels['bastion.agent'], undefined, 'a container without an agent, as earlier versions made them')
  // A live docker exec session in it, then the agent is back (as after an upgrade).
  const live = ssh('bt-bob', 'sleep 4; echo old-session-done', { timeoutMs: 60_000 })
  for (let i = 0; i < 100 && !/ sleep 4$/m.test((await execa(DOCKER, ['top', legacy])).stdout); i++) await sleep(100)
  agentBack()
  const during = await ssh('bt-bob', 'echo during')
  t.equal(during.stdout.toString(), 'during\n', 'served in the old container, by docker exec')
  t.same(await containersOf('bt-bob'), [legacy], 'not replaced while a session lives in it')
  t.equal((await live).stdout.toString(), 'old-session-done\n')
  t.equal((await ssh('bt-bob', 'echo after')).stdout.toString(), 'after\n')
  const now = await containersOf('bt-bob')
  t.not(now[0], legacy, 'replaced at the next login with no live session')
  t.match((await inspect(now[0]!)).Config.Labels['bastion.agent'], /^[0-9a-f]{16}$/, 'now with the agent')
})

t.test('a config broken while the broker runs: logins say so at once, with the detail in a log, and work again once it is fixed', async (t) => {
  const brokerLog = '/var/log/bastion-testbed/shell-broker.log'
  const from = [logSize(), statSync(brokerLog).size]
  const restore = withShellConfig(t, { limits: { pids: 'lots', memoryMb: 256, cpus: 1, tmpfsMb: 64 } })
  for (let i = 0; i < 4; i++) {
    const t0 = Date.now()
    const r = await ssh('bt-alice', 'echo should-not-run')
    t.equal(r.exitCode, 125, `login ${i + 1}`)
    t.equal(r.stderr, 'bastion: The bastion is misconfigured. Please tell the operators. (BASTION_SHELL_CONFIG_INVALID)\n')
    t.equal(r.stdout.toString(), '')
    t.ok(Date.now() - t0 < 5000, 'at once, not after a timeout')
  }
  const logged = readFileSync(SHELL_LOG, 'utf8').slice(from[0]) + readFileSync(brokerLog, 'utf8').slice(from[1])
  t.match(logged, /shell\.limits\.pids/, 'the log names the key')
  restore()
  t.equal((await ssh('bt-alice', 'echo fixed')).stdout.toString(), 'fixed\n')
})
