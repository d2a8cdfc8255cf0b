// Who is logging in comes from the kernel (via sudo's SUDO_UID and /proc), never from
// anything the user can set.
import t, { type Test } from 'tap'
import { realpathSync } from 'node:fs'
import { userInfo } from 'node:os'
import { callerFromKernel, systemIdentitySources, type IdentitySources } from '../src/identity.ts'
import { ShellError } from '../src/errors.ts'

const SUDO_PID = 4242

// A root runner started by sudo for uid 1001 (alice), unless a test says otherwise.
function sources (over: Partial<IdentitySources> = {}): IdentitySources & { passwdCalls: number[], groupCalls: string[] } {
  const passwdCalls: number[] = []
  const groupCalls: string[] = []
  const users = new Map([[1001, { user: 'alice', gid: 1001 }], [1002, { user: 'bob', gid: 1500 }]])
  return {
    passwdCalls,
    groupCalls,
    getuid: () => 0,
    env: { SUDO_UID: '1001' },
    ppid: SUDO_PID,
    realUidOf: async (pid) => pid === SUDO_PID ? 1001 : 0,
    exeOf: async (pid) => pid === SUDO_PID ? '/usr/bin/sudo' : '/usr/sbin/sshd',
    passwdByUid: async (uid) => { passwdCalls.push(uid); return users.get(uid) },
    groupsOf: async (user) => { groupCalls.push(user); return user === 'alice' ? ['alice', 'bastion-users'] : ['bob'] },
    ...over
  }
}

// The ShellError callerFromKernel rejects with; fails the test if it resolves.
async function refusal (t: Test, src: IdentitySources, why: RegExp): Promise<void> {
  const err = await callerFromKernel(src).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ShellError, 'a ShellError')
  t.match(err, { code: 'BASTION_SHELL_IDENTITY', message: why })
}

t.test('a root runner under sudo gets the caller from SUDO_UID and the passwd entry', async (t) => {
  const src = sources()
  t.same(await callerFromKernel(src), { uid: 1001, gid: 1001, user: 'alice', groups: ['alice', 'bastion-users'] })
  t.same(src.passwdCalls, [1001])
  t.same(src.groupCalls, ['alice'])
})

t.test('the primary group comes from passwd, not from the uid', async (t) => {
  const src = sources({ env: { SUDO_UID: '1002' }, realUidOf: async () => 1002 })
  t.same(await callerFromKernel(src), { uid: 1002, gid: 1500, user: 'bob', groups: ['bob'] })
})

t.test('a runner that is not root is refused', async (t) => {
  for (const uid of [1001, 1, -1]) await refusal(t, sources({ getuid: () => uid }), /must run as root/)
})

t.test('a missing, empty or garbage SUDO_UID is refused', async (t) => {
  const bad = [undefined, '', ' 1001', '1001 ', '1001\n', '-1', '+1001', '1e3', '0x3e9', '1001.0', 'alice', '１００１', '12345678901']
  for (const raw of bad) {
    const env: NodeJS.ProcessEnv = raw === undefined ? {} : { SUDO_UID: raw }
    await refusal(t, sources({ env, realUidOf: async () => Number(raw) }), /SUDO_UID is missing/)
  }
})

t.test('SUDO_UID 0 is refused: root has no container', async (t) => {
  for (const raw of ['0', '000']) await refusal(t, sources({ env: { SUDO_UID: raw }, realUidOf: async () => 0 }), /root has no bastion container/)
})

t.test('a parent that is not sudo is refused, naming what it is', async (t) => {
  await refusal(t, sources({ exeOf: async () => '/usr/sbin/sshd' }), /parent is \/usr\/sbin\/sshd, not sudo/)
  await refusal(t, sources({ exeOf: async () => '/usr/bin/sudoedit' }), /not sudo/)
  await refusal(t, sources({ exeOf: async () => '/usr/bin/pseudo' }), /not sudo/)
  await refusal(t, sources({ exeOf: async () => '/usr/bin/sudo (deleted)' }), /not sudo/)
  await refusal(t, sources({ exeOf: async () => { throw new Error('EACCES') } }), /parent is unknown, not sudo/)
})

t.test('a parent whose real uid differs from SUDO_UID is refused', async (t) => {
  await refusal(t, sources({ realUidOf: async () => 1002 }), /sudo's real uid 1002 differs from SUDO_UID 1001/)
  await refusal(t, sources({ realUidOf: async () => 0 }), /differs/)
  await refusal(t, sources({ realUidOf: async () => { throw new Error('ENOENT') } }), /sudo's real uid NaN differs/)
})

t.test('a uid without a passwd entry is refused', async (t) => {
  const src = sources({ env: { SUDO_UID: '1003' }, realUidOf: async () => 1003 })
  await refusal(t, src, /uid 1003 has no passwd entry/)
  t.same(src.groupCalls, [], 'groups are not looked up')
})

t.test('no check is skipped: a refusal stops before the later, costlier lookups', async (t) => {
  const src = sources({ exeOf: async () => '/bin/sh' })
  await refusal(t, src, /not sudo/)
  t.same(src.passwdCalls, [])
})

t.test('only SUDO_UID is read from the environment', async (t) => {
  const read: string[] = []
  const env = new Proxy<NodeJS.ProcessEnv>({ SUDO_UID: '1001', USER: 'bob', LOGNAME: 'bob', SUDO_USER: 'bob', SUDO_GID: '1500', HOME: '/home/bob' }, {
    get (target, key) { if (typeof key === 'string') read.push(key); return target[key as string] }
  })
  t.same(await callerFromKernel(sources({ env })), { uid: 1001, gid: 1001, user: 'alice', groups: ['alice', 'bastion-users'] })
  t.same([...new Set(read)], ['SUDO_UID'])
})

t.test('without SUDO_UID, no other variable stands in for it', async (t) => {
  const read: string[] = []
  const env = new Proxy<NodeJS.ProcessEnv>({ USER: '1001', LOGNAME: '1001', SUDO_USER: 'alice', UID: '1001', PKEXEC_UID: '1001' }, {
    get (target, key) { if (typeof key === 'string') read.push(key); return target[key as string] }
  })
  await refusal(t, sources({ env }), /SUDO_UID is missing/)
  t.same([...new Set(read)], ['SUDO_UID'])
})

t.test('USER, LOGNAME, SUDO_USER or SUDO_GID naming someone else change nothing', async (t) => {
  const plain = await callerFromKernel(sources())
  const spoofed = await callerFromKernel(sources({ env: { SUDO_UID: '1001', USER: 'root', LOGNAME: 'bob', SUDO_USER: 'bob', SUDO_GID: '0', SUDO_COMMAND: '/bin/sh' } }))
  t.same(spoofed, plain)
  t.equal(spoofed.user, 'alice')
})

t.test('the system sources read this process as the kernel sees it', async (t) => {
  const sys = systemIdentitySources()
  const me = userInfo()
  t.equal(sys.getuid(), me.uid)
  t.equal(sys.env, process.env)
  t.equal(sys.ppid, process.ppid)
  t.equal(await sys.realUidOf(process.pid), me.uid)
  t.equal(await sys.exeOf(process.pid), realpathSync(process.execPath))
  t.same(await sys.passwdByUid(me.uid), { user: me.username, gid: me.gid })
  const groups = await sys.groupsOf(me.username)
  t.ok(groups.length > 0 && groups.every((g) => /^\S+$/.test(g)), JSON.stringify(groups))
})

t.test('the system sources find no passwd entry for an unused uid, and no process for a dead pid', async (t) => {
  const sys = systemIdentitySources()
  t.equal(await sys.passwdByUid(3999999999), undefined)
  await t.rejects(sys.realUidOf(2 ** 30))
  await t.rejects(sys.exeOf(2 ** 30))
})
