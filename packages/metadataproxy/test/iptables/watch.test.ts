// The running proxy's periodic check: drift is repaired within one interval, logged,
// counted, and reported in the state until a check finds none.
import t from 'tap'
import pino from 'pino'
import { watchRules } from '../../src/iptables/watch.ts'
import { installRules } from '../../src/iptables/iptables.ts'
import { buildRules, type RuleOptions } from '../../src/iptables/rules.ts'
import { dockerHost, fakeIptables } from '../fixtures/iptables.ts'
import { captureLog } from '../fixtures/log.ts'

const opts: RuleOptions = { bridge: 'bastion0', proxyAddress: '10.250.0.1', proxyPort: 8775 }

async function setup (t: { teardown: (fn: () => unknown) => unknown }, intervalMs = 60_000) {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const captured = captureLog()
  const watch = watchRules({ runner: fake, set: buildRules(opts), intervalMs, log: pino({ level: 'debug' }, captured.destination) })
  t.teardown(() => watch.stop())
  return { fake, watch, captured }
}

// What each check logged, without the debug line that numbers it.
const warnings = (captured: ReturnType<typeof captureLog>) => captured.records().filter((r) => (r.level as number) > 20)

t.test('no drift: ok, nothing written, nothing but the numbered debug line logged', async (t) => {
  const { watch, captured } = await setup(t)
  t.same(await watch.tick(), { ok: true, drift: [] })
  t.equal(watch.repairs(), 0)
  t.match(captured.records(), [{ level: 20, check: 1, msg: 'iptables check' }])
  t.same(warnings(captured), [])
})

t.test('a deleted jump is found, repaired, logged and counted', async (t) => {
  const { fake, watch, captured } = await setup(t)
  fake.tables.nat?.set('PREROUTING', ['-m addrtype --dst-type LOCAL -j DOCKER'])
  t.same(await watch.tick(), { ok: true, drift: [] })
  t.same(fake.tables.nat?.get('PREROUTING'), ['-i bastion0 -j BASTION-IMDS', '-m addrtype --dst-type LOCAL -j DOCKER'])
  t.equal(watch.repairs(), 1)
  t.match(warnings(captured), [
    { level: 40, check: 1, msg: 'iptables drift found', found: ['nat PREROUTING: traffic from bastion0 jumps to BASTION-IMDS'] },
    { level: 40, check: 1, msg: 'iptables rules repaired', did: ['added nat PREROUTING: traffic from bastion0 jumps to BASTION-IMDS'] }
  ])
})

t.test('drift that cannot be repaired stays in the state until a check finds none', async (t) => {
  const { fake, watch, captured } = await setup(t)
  fake.tables.filter?.get('DOCKER-USER')?.splice(0, 1)
  fake.fault = (argv) => argv[4] === '-I' ? { exitCode: 4, stdout: '', stderr: 'Permission denied (you must be root)' } : undefined
  const state = await watch.tick()
  t.equal(state.ok, false)
  t.match(state.drift, [/you must be root/])
  t.same(watch.state(), state)
  t.match(captured.records().at(-1), { level: 50, msg: 'iptables check failed' })
  delete fake.fault
  t.same(await watch.tick(), { ok: true, drift: [] })
  t.same(watch.state(), { ok: true, drift: [] })
})

t.test('the timer checks by itself every interval, and stops', async (t) => {
  const { fake, watch } = await setup(t, 20)
  fake.tables.filter?.set('DOCKER-USER', ['-j RETURN'])
  while (watch.repairs() === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(fake.tables.filter?.get('DOCKER-USER'), ['-i bastion0 -j BASTION-IMDS-GUARD', '-j RETURN'])
  watch.stop()
  const calls = fake.calls.length
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(fake.calls.length, calls, 'no check after stop')
})

t.test('concurrent ticks share one check', async (t) => {
  const { fake, watch } = await setup(t)
  const before = fake.calls.length
  await Promise.all([watch.tick(), watch.tick()])
  t.equal(fake.calls.length - before, 2, 'one -S per table, once')
})
