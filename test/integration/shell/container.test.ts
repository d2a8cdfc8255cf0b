// The personal container: one per user and reused, the same one for racing first
// logins, hardened as configured, isolated from other users, with limits that stop a
// fork bomb and kill a memory hog alone, and a home that survives recreation.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { execa } from 'execa'
import { ssh } from '../../fixtures/ssh.ts'
import { DOCKER, containersOf, inspect, removeContainersOf, sleep, withShellConfig } from '../../fixtures/shell.ts'

t.test('one container per user, reused across sessions, with the labels and env that identify it', async (t) => {
  await ssh('bt-alice', 'true')
  const [first, ...others] = await containersOf('bt-alice')
  t.same(others, [], 'exactly one')
  await ssh('bt-alice', 'true')
  t.same(await containersOf('bt-alice'), [first], 'the same one next time')
  const info = await inspect(first!)
  t.match(info.Name, /^\/shell-bt-alice-[0-9a-f]{10}$/)
  t.equal(info.Config.Labels['bastion.user'], 'bt-alice')
  t.match(info.Config.Labels['bastion.image-digest'], /^sha256:[0-9a-f]{64}$/)
  t.match(info.Config.Labels['bastion.config-hash'], /^[0-9a-f]{16}$/)
  t.ok(info.Config.Env.includes('IAM_ROLE=bt-alice'))
  t.same(Object.keys(info.NetworkSettings.Networks), ['bt-shell'], 'only on the bastion network')
})

t.test('two simultaneous first logins end up in one container', async (t) => {
  await removeContainersOf('bt-bob')
  const results = await Promise.all(Array.from({ length: 6 }, () => ssh('bt-bob', 'echo ok')))
  t.same(results.map((r) => r.exitCode), [0, 0, 0, 0, 0, 0])
  t.equal((await containersOf('bt-bob')).length, 1)
})

t.test('the container is hardened: no capabilities but the agent\'s three, no new privileges, read-only root, limits, no host namespaces, no Docker socket', async (t) => {
  await ssh('bt-alice', 'true')
  const info = await inspect((await containersOf('bt-alice'))[0]!)
  const h = info.HostConfig
  t.same(h.CapDrop, ['ALL'])
  t.same(h.CapAdd, ['SETUID', 'SETGID', 'KILL'], 'only what the agent needs to become the user and to kill what a session started')
  t.ok(h.SecurityOpt.includes('no-new-privileges'))
  t.equal(h.ReadonlyRootfs, true)
  t.equal(h.Privileged, false)
  t.equal(h.PidsLimit, 128)
  t.equal(h.Memory, 256 * 1024 * 1024)
  t.equal(h.NanoCpus, 1e9)
  t.equal(h.NetworkMode, 'bt-shell')
  t.notOk(['host'].includes(h.PidMode) || ['host'].includes(h.IpcMode) || ['host'].includes(h.UTSMode) || ['host'].includes(h.UsernsMode), 'no host namespaces')
  t.notOk(JSON.stringify(h.Binds).includes('docker.sock'))
  const [uid, gid] = [(await execa('id', ['-u', 'bt-alice'])).stdout, (await execa('id', ['-g', 'bt-alice'])).stdout]
  t.equal(info.Config.User, '0:0', 'the agent is root, out of bt-alice\'s reach (agent-trust.test.ts)')
  const inside = await ssh('bt-alice', 'id -u; id -g; grep -E "^Cap(Eff|Prm|Inh|Amb):" /proc/self/status | awk "{print \\$2}" | sort -u; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status; touch /usr/x 2>&1; touch /tmp/x && echo tmp-ok')
  const out = inside.stdout.toString()
  // The bounding set keeps the agent's three, which no-new-privs keeps anything from
  // gaining back on exec.
  t.match(out, new RegExp(`^${uid}\\n${gid}\\n0000000000000000\\nCapBnd:\\s+00000000000000e0\\nNoNewPrivs:\\s+1\\n`), `uid ${uid} with an empty capability set and no-new-privs`)
  t.match(out, /Read-only file system/)
  t.match(out, /tmp-ok/)
})

t.test("containers of different users cannot reach each other", async (t) => {
  await ssh('bt-alice', 'true')
  await ssh('bt-bob', 'true')
  const aliceIp = (await inspect((await containersOf('bt-alice'))[0]!)).NetworkSettings.Networks['bt-shell'].IPAddress as string
  const listener = ssh('bt-alice', 'timeout 8 python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1; true', { timeoutMs: 15_000 })
  await sleep(1500)
  const self = await ssh('bt-alice', 'curl -s -o /dev/null -w %{http_code} --max-time 2 http://127.0.0.1:8000/')
  t.equal(self.stdout.toString(), '200', 'the listener is up')
  const other = await ssh('bt-bob', `curl -s -o /dev/null -w %{http_code} --max-time 3 http://${aliceIp}:8000/; echo " exit=$?"`)
  t.match(other.stdout.toString().trim(), /^000 exit=(7|28)$/, "bob cannot connect to alice's container")
  await listener
})

t.test('a fork bomb is stopped by the PID limit, and the container and the host stay usable', async (t) => {
  const id = (await containersOf('bt-bob'))[0] ?? ''
  const cgroup = existsSync(`/sys/fs/cgroup/pids/docker/${id}`) ? `/sys/fs/cgroup/pids/docker/${id}` : `/sys/fs/cgroup/system.slice/docker-${id}.scope`
  const hitsBefore = Number(/max (\d+)/.exec(readFileSync(`${cgroup}/pids.events`, 'utf8'))?.[1] ?? 0)
  // The session ends when the last sleep has closed its output: 8 s is long enough for
  // 128 of them to be alive at once (forks take milliseconds), and short for the suite.
  await ssh('bt-bob', 'for i in {1..400}; do sleep 8 & done 2>/dev/null; true', { timeoutMs: 90_000 })
  t.ok(Number(readFileSync(`${cgroup}/pids.current`, 'utf8')) <= 128, 'the container never holds more than its limit')
  t.ok(Number(/max (\d+)/.exec(readFileSync(`${cgroup}/pids.events`, 'utf8'))?.[1] ?? 0) > hitsBefore, 'forks were refused at the limit')
  // Clear the sleeps from the host, as an operator would, but not the container's own.
  const top = (await execa(DOCKER, ['top', id, '-eo', 'pid,args'])).stdout.split('\n').slice(1)
  for (const line of top) {
    const [pid, ...args] = line.trim().split(/\s+/)
    if (args.join(' ') === 'sleep 8') await execa('kill', ['-9', pid ?? ''], { reject: false })
  }
  await sleep(500)
  t.equal((await ssh('bt-bob', 'echo still-here')).stdout.toString(), 'still-here\n')
  t.equal((await ssh('bt-alice', 'echo alice-fine')).stdout.toString(), 'alice-fine\n', 'other users are unaffected')
})

t.test('a memory hog is killed alone: the container and its other sessions live on', async (t) => {
  const neighbour = ssh('bt-alice', 'sleep 6; echo neighbour-done', { timeoutMs: 30_000 })
  const hog = await ssh('bt-alice', 'python3 -c "x = bytearray(600 * 1024 * 1024); print(len(x))"', { timeoutMs: 30_000 })
  t.equal(hog.exitCode, 137, 'the hog is OOM-killed')
  t.equal((await neighbour).stdout.toString(), 'neighbour-done\n', 'the other session finished normally')
  t.equal((await ssh('bt-alice', 'echo ok')).stdout.toString(), 'ok\n')
})

t.test('the home survives recreation, which happens after a config change but never under a live session', async (t) => {
  await ssh('bt-carol', 'echo kept > survivor.txt')
  const before = (await containersOf('bt-carol'))[0]
  const live = ssh('bt-carol', 'sleep 6', { timeoutMs: 30_000 })
  // Live means its process runs in the container (a fixed wait is not enough on a busy host).
  for (let i = 0; i < 100 && !(await execa(DOCKER, ['top', before!]).then((r) => / sleep 6$/m.test(r.stdout), () => false)); i++) await sleep(100)
  t.match((await execa(DOCKER, ['top', before!])).stdout, / sleep 6$/m, 'the live session runs')
  withShellConfig(t, { limits: { pids: 130, memoryMb: 256, cpus: 1, tmpfsMb: 64 } })
  await ssh('bt-carol', 'true')
  t.same(await containersOf('bt-carol'), [before], 'not recreated while a session lives')
  await live
  await ssh('bt-carol', 'true')
  const after = await containersOf('bt-carol')
  t.equal(after.length, 1)
  t.not(after[0], before, 'recreated at the next login with no live session')
  t.equal((await inspect(after[0]!)).HostConfig.PidsLimit, 130, 'with the new limits')
  t.equal((await ssh('bt-carol', 'cat survivor.txt')).stdout.toString(), 'kept\n', 'the home survived')
})
