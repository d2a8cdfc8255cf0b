// Who is logging in comes from the uid the kernel proved and the system's user database:
// the name, the primary group from passwd, every group from id. Root never logs in.
import t from 'tap'
import { callerFromUid, systemIdentitySources, type IdentitySources } from '../src/identity.ts'
import { ShellError } from '../src/errors.ts'

function sources (over: Partial<IdentitySources> = {}): IdentitySources & { calls: string[] } {
  const calls: string[] = []
  const users = new Map([[1001, { user: 'alice', gid: 1001 }], [1002, { user: 'bob', gid: 1500 }]])
  return {
    calls,
    passwdByUid: async (uid) => { calls.push(`passwd ${uid}`); return users.get(uid) },
    groupsOfUid: async (uid) => { calls.push(`groups ${uid}`); return uid === 1001 ? ['alice', 'bastion-users'] : ['bob'] },
    ...over
  }
}

t.test('the caller is the passwd entry of the uid, with all its groups', async (t) => {
  const src = sources()
  t.same(await callerFromUid(1001, src), { uid: 1001, gid: 1001, user: 'alice', groups: ['alice', 'bastion-users'] })
  t.same(src.calls.sort(), ['groups 1001', 'passwd 1001'])
})

t.test('the primary group comes from passwd, not from the uid', async (t) => {
  t.same(await callerFromUid(1002, sources()), { uid: 1002, gid: 1500, user: 'bob', groups: ['bob'] })
})

t.test('root, and anything that is no uid, is refused before any lookup', async (t) => {
  for (const uid of [0, -1, 1.5, Number.NaN]) {
    const src = sources()
    await t.rejects(callerFromUid(uid, src), { code: 'BASTION_SHELL_IDENTITY' }, String(uid))
    t.same(src.calls, [])
  }
})

t.test('a uid without a passwd entry, or whose groups cannot be read, is refused', async (t) => {
  await t.rejects(callerFromUid(4242, sources()), { code: 'BASTION_SHELL_IDENTITY', message: /uid 4242 has no passwd entry/ })
  await t.rejects(callerFromUid(1001, sources({ groupsOfUid: async () => { throw new Error('id failed') } })), { code: 'BASTION_SHELL_IDENTITY', message: /groups of uid 1001 \(alice\)/ })
  t.type(await callerFromUid(1001, sources()).catch((e: unknown) => e), 'object')
  t.ok(new ShellError('BASTION_SHELL_IDENTITY', 'x'))
})

t.test('the system sources read this machine\'s real user database', async (t) => {
  const src = systemIdentitySources()
  t.same(await src.passwdByUid(65534), { user: 'nobody', gid: 65534 })
  t.same(await src.passwdByUid(1), { user: 'daemon', gid: 1 })
  t.equal(await src.passwdByUid(3999999), undefined, 'no such uid')
  t.same(await src.groupsOfUid(65534), ['nogroup'])
  await t.rejects(src.groupsOfUid(3999999))
  t.same(await callerFromUid(1, src), { uid: 1, gid: 1, user: 'daemon', groups: ['daemon'] })
})
