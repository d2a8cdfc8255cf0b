// The broker's per-user limits: unproven connections in all and per claimed uid, where
// the oldest goes and never the newcomer, and live sessions per proven uid.
import t from 'tap'
import { createGate, type GateLimits } from '../../src/broker/gate.ts'

const LIMITS: GateLimits = { maxUnauthenticated: 3, maxUnauthenticatedPerUser: 2, maxSessionsPerUser: 2 }

function harness (limits = LIMITS) {
  const evicted: string[] = []
  const gate = createGate(limits)
  const admit = (name: string) => gate.admit(() => evicted.push(name))
  return { gate, evicted, admit }
}

t.test('past maxUnauthenticated the oldest unproven connection is evicted, and the newcomer stays', async (t) => {
  const { gate, evicted, admit } = harness()
  const a = admit('a')
  admit('b')
  admit('c')
  t.same(evicted, [])
  admit('d')
  t.same(evicted, ['a'], 'the oldest goes')
  t.equal(gate.stats().unauthenticated, 3)
  a.settled()
  t.equal(gate.stats().unauthenticated, 3, 'settling an evicted connection changes nothing')
  a.claimed(7)
  admit('e')
  t.same(evicted, ['a', 'b'])
})

t.test('past maxUnauthenticatedPerUser the oldest claim of that uid goes; other uids are untouched', async (t) => {
  const { evicted, admit } = harness({ ...LIMITS, maxUnauthenticated: 100 })
  admit('bob-1').claimed(1002)
  admit('alice-1').claimed(1001)
  const bob2 = admit('bob-2')
  bob2.claimed(1002)
  bob2.claimed(1002)
  t.same(evicted, [], 'a second claim on one connection counts once')
  admit('bob-3').claimed(1002)
  t.same(evicted, ['bob-1'])
  bob2.settled()
  admit('bob-4').claimed(1002)
  t.same(evicted, ['bob-1'], 'a proven claim made room')
})

t.test('a limit of one claim per uid: each new claim replaces the last', async (t) => {
  const { evicted, admit } = harness({ ...LIMITS, maxUnauthenticated: 100, maxUnauthenticatedPerUser: 1 })
  admit('1').claimed(5)
  admit('2').claimed(5)
  admit('3').claimed(5)
  t.same(evicted, ['1', '2'])
})

t.test('live sessions per user: at the limit a session is refused until one ends; a release counts once', async (t) => {
  const { gate } = harness()
  const one = gate.session(1001)
  const two = gate.session(1001)
  t.ok(one !== undefined && two !== undefined)
  t.equal(gate.session(1001), undefined, 'a third is refused')
  t.ok(gate.session(1002) !== undefined, 'another user is not')
  t.equal(gate.stats().sessions, 3)
  one?.()
  one?.()
  t.equal(gate.stats().sessions, 2)
  const three = gate.session(1001)
  t.ok(three !== undefined, 'room again')
  t.equal(gate.session(1001), undefined, 'and only for one')
  two?.()
  three?.()
  t.equal(gate.stats().sessions, 1)
})

t.test('new limits apply to what comes next', async (t) => {
  const { gate } = harness()
  gate.limits({ ...LIMITS, maxSessionsPerUser: 1 })
  t.ok(gate.session(1) !== undefined)
  t.equal(gate.session(1), undefined)
})
