// Step `iptables`: the proxy's own rules, planned with its check and added with its install.
import t from 'tap'
import { buildRules, ruleOptions } from '@bastion/metadataproxy'
import { iptablesStep } from '../../../src/setup/steps/iptables.ts'
import { fakeIptables, setupContext, scratchDir } from '../fixtures.ts'

t.test('plan lists every missing rule; apply adds them; then nothing is missing', async (t) => {
  const kernel = fakeIptables()
  const ctx = setupContext(scratchDir(t), { iptables: kernel })
  const plan = await iptablesStep.plan(ctx)
  const set = buildRules(ruleOptions(ctx.config.proxy))
  t.equal(plan.length, set.chains.length + set.rules.length, 'every chain and rule, DOCKER-USER and Docker\'s FORWARD jump included')
  t.same(plan.slice(0, 4), ['add nat chain BT-UNIT', 'add filter chain DOCKER-USER', 'add filter chain BT-UNIT-GUARD', 'add filter chain BT-UNIT-INPUT'])
  t.ok(plan.includes('add nat PREROUTING: traffic from btunit0 jumps to BT-UNIT'))
  t.ok(plan.includes('add filter INPUT: connections to the proxy at 10.254.1.1:8775 jump to BT-UNIT-INPUT'))
  t.notOk(kernel.calls.some((c) => c.includes('-N') || c.includes('-I')), 'plan changes nothing')
  t.same(await iptablesStep.apply(ctx), plan.map((p) => p.replace(/^add /, 'added ')))
  t.same(await iptablesStep.plan(ctx), [])
  t.same(await iptablesStep.apply(ctx), [])
})

t.test('only the missing rule is added back', async (t) => {
  const kernel = fakeIptables()
  const ctx = setupContext(scratchDir(t), { iptables: kernel })
  await iptablesStep.apply(ctx)
  kernel.rules.delete('nat PREROUTING -i btunit0 -j BT-UNIT')
  t.same(await iptablesStep.plan(ctx), ['add nat PREROUTING: traffic from btunit0 jumps to BT-UNIT'])
  t.same(await iptablesStep.apply(ctx), ['added nat PREROUTING: traffic from btunit0 jumps to BT-UNIT'])
})
