import t from 'tap'
import { IMDS_GROUP, joinImdsGroup, nodeProcessGroups, type ProcessGroups } from '../src/imds-group.ts'

function fake (uid: number, gid: number | undefined, groups: number[]): ProcessGroups & { set: number[][] } {
  const set: number[][] = []
  return { set, uid: () => uid, getgroups: () => groups, setgroups: (g) => { set.push(g) }, gid: (name) => name === IMDS_GROUP ? gid : undefined }
}

t.test('root adds the IMDS group to its supplementary groups, once', async (t) => {
  const p = fake(0, 997, [0])
  t.equal(joinImdsGroup(p), true)
  t.same(p.set, [[0, 997]])
  const already = fake(0, 997, [0, 997])
  t.equal(joinImdsGroup(already), true)
  t.same(already.set, [], 'nothing to add')
})

t.test('root without CAP_SETGID goes on without the group', async (t) => {
  const p = fake(0, 997, [0])
  p.setgroups = () => { throw Object.assign(new Error('setgroups EPERM'), { code: 'EPERM' }) }
  t.equal(joinImdsGroup(p), false)
})

t.test('a non-root process cannot, and does not try', async (t) => {
  const p = fake(1000, 997, [1000])
  t.equal(joinImdsGroup(p), false)
  t.same(p.set, [])
})

t.test('a host without the group (no host guard set up) changes nothing', async (t) => {
  const p = fake(0, undefined, [0])
  t.equal(joinImdsGroup(p), false)
  t.same(p.set, [])
})

t.test('the real lookup: getent finds root, and not a missing group', async (t) => {
  t.equal(nodeProcessGroups.gid('root'), 0)
  t.equal(nodeProcessGroups.gid('bt-no-such-group-9c2'), undefined)
  t.type(nodeProcessGroups.uid(), 'number')
  t.ok(Array.isArray(nodeProcessGroups.getgroups()))
  // As root, setting the groups we already hold is a no-op that must not throw.
  if (process.getuid?.() === 0) nodeProcessGroups.setgroups(nodeProcessGroups.getgroups())
})
