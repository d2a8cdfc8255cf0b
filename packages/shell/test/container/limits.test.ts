// The process-limit check before a session: where the pids cgroup is (v1 and v2), and
// that only a full cgroup refuses a login, never an unreadable one.
import t from 'tap'
import { assertRoomForSession, parsePids, pidsCgroupDir } from '../../src/container/limits.ts'

const V1 = '12:cpu,cpuacct:/docker/abc\n8:pids:/docker/abc\n0::/docker/abc\n'
const V2 = '0::/system.slice/docker-abc.scope\n'

t.test('the pids cgroup directory, from cgroup v1 and v2', async (t) => {
  t.equal(pidsCgroupDir(V1), '/sys/fs/cgroup/pids/docker/abc')
  t.equal(pidsCgroupDir('5:memory:/docker/x\n3:pids,foo:/docker/x\n'), '/sys/fs/cgroup/pids/docker/x', 'a co-mounted controller')
  t.equal(pidsCgroupDir(V2), '/sys/fs/cgroup/system.slice/docker-abc.scope')
  t.equal(pidsCgroupDir(''), undefined)
  t.equal(pidsCgroupDir('garbage'), undefined)
})

t.test('pids.current and pids.max parse, "max" meaning no limit', async (t) => {
  t.same(parsePids('12\n', '128\n'), { current: 12, max: 128 })
  t.same(parsePids('12\n', 'max\n'), { current: 12, max: 'max' })
  t.equal(parsePids('', '128'), undefined)
  t.equal(parsePids('1', 'lots'), undefined)
})

const files = (m: Record<string, string>) => async (p: string): Promise<string> => {
  const v = m[p]
  if (v === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' })
  return v
}

t.test('a full container refuses the session with the limits code and the numbers', async (t) => {
  const read = files({ '/proc/42/cgroup': V1, '/sys/fs/cgroup/pids/docker/abc/pids.current': '128\n', '/sys/fs/cgroup/pids/docker/abc/pids.max': '128\n' })
  await t.rejects(assertRoomForSession(42, 'shell-alice', read), { code: 'BASTION_SHELL_LIMITS_REACHED', message: /shell-alice runs 128 of its 128 processes/ })
})

t.test('room left, no limit, nothing readable or no pid: the login goes on', async (t) => {
  const dir = '/sys/fs/cgroup/pids/docker/abc'
  await t.resolves(assertRoomForSession(42, 'c', files({ '/proc/42/cgroup': V1, [`${dir}/pids.current`]: '127', [`${dir}/pids.max`]: '128' })))
  await t.resolves(assertRoomForSession(42, 'c', files({ '/proc/42/cgroup': V1, [`${dir}/pids.current`]: '5000', [`${dir}/pids.max`]: 'max' })))
  await t.resolves(assertRoomForSession(42, 'c', files({ '/proc/42/cgroup': V1 })))
  await t.resolves(assertRoomForSession(42, 'c', files({})))
  await t.resolves(assertRoomForSession(0, 'c', files({})))
})

t.test('on this host, the test process itself has room (the real /proc and cgroup files)', async (t) => {
  await t.resolves(assertRoomForSession(process.pid, 'self'))
})
