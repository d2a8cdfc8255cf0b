// Step `iptables`: the proxy's accounts, its credential log, and its own rules, planned
// with its check and added with its install.
import t from 'tap'
import { buildRules, ruleOptions } from '@bastion/metadataproxy'
import { iptablesStep } from '../../../src/setup/steps/iptables.ts'
import { fakeIptables, hostConfig, CONFIG_TEXT, setupContext, scratchDir } from '../fixtures.ts'

const ACCOUNTS = [
  "create system group bastion-imds (the suite's root commands take it on to reach IMDS; nobody is a member)",
  'create system user bastion-metadataproxy (the metadata proxy runs as it, the one account that reaches IMDS)'
]

t.test('plan lists the accounts and every missing rule; apply makes them; then nothing is missing', async (t) => {
  const kernel = fakeIptables()
  const ctx = setupContext(scratchDir(t), { iptables: kernel })
  const plan = await iptablesStep.plan(ctx)
  const set = buildRules(ruleOptions(ctx.config.proxy, undefined, () => 1))
  t.equal(plan.length, ACCOUNTS.length + set.chains.length + set.rules.length, 'the accounts, every chain and rule, DOCKER-USER and Docker\'s FORWARD jump included')
  t.same(plan.slice(0, 6), [...ACCOUNTS, 'add nat chain BT-UNIT', 'add filter chain DOCKER-USER', 'add filter chain BT-UNIT-GUARD', 'add filter chain BT-UNIT-INPUT'])
  t.ok(plan.includes('add nat PREROUTING: traffic from btunit0 jumps to BT-UNIT'))
  t.ok(plan.includes('add filter INPUT: connections to the proxy at 10.254.1.1:8775 jump to BT-UNIT-INPUT'))
  t.ok(plan.includes("add filter OUTPUT: the host's own traffic to IMDS jumps to BT-UNIT-OUT"), 'the host guard')
  t.notOk(kernel.calls.some((c) => c.includes('-N') || c.includes('-I')), 'plan changes nothing')
  t.notOk(ctx.exec.calls.some((c) => c[0] !== 'getent'), 'plan makes no account')
  t.same(await iptablesStep.apply(ctx), plan.map((p) => p.replace(/^add /, 'added ').replace(/^create /, 'created ')))
  const uid = ctx.exec.accounts.get('bastion-metadataproxy')?.uid
  const gid = ctx.exec.groups.get('bastion-imds')?.gid
  t.ok(kernel.rules.has(`filter BT-UNIT-OUT -m owner --uid-owner ${String(uid)} -j RETURN`), 'the guard names the uid setup made')
  t.ok(kernel.rules.has(`filter BT-UNIT-OUT -m owner --gid-owner ${String(gid)} --suppl-groups -j RETURN`), 'and the gid')
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

t.test('a member of bastion-imds is taken out: a member would reach the instance role', async (t) => {
  const ctx = setupContext(scratchDir(t))
  ctx.exec.user('bastion-metadataproxy').group('bastion-imds', 990, ['mallory'])
  const plan = await iptablesStep.plan(ctx)
  t.same(plan.filter((p) => !p.startsWith('add ')), ["remove mallory from group bastion-imds (a member reaches the instance role's credentials)"])
  await iptablesStep.apply(ctx)
  t.same(ctx.exec.groups.get('bastion-imds')?.members, [])
  t.ok(ctx.exec.calls.some((c) => c.join(' ') === 'gpasswd -d mallory bastion-imds'))
})

t.test('without the host guard: no OUTPUT rule, but the accounts all the same (the unit runs as the user)', async (t) => {
  const ctx = setupContext(scratchDir(t), { config: hostConfig(CONFIG_TEXT.replace('iptables: { chainPrefix: BT-UNIT }', 'iptables: { chainPrefix: BT-UNIT, hostGuard: false }')) })
  const plan = await iptablesStep.plan(ctx)
  t.same(plan.slice(0, 2), ACCOUNTS)
  t.notOk(plan.some((p) => /OUTPUT/.test(p)))
})

t.test("the proxy's credential log is made for its user, before the rules", async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { config: hostConfig(CONFIG_TEXT.replace('metadataproxy: {', 'metadataproxy: { log: { auditFile: /var/log/bt/credentials.jsonl },')) })
  const done = await iptablesStep.apply(ctx)
  t.same(done.slice(2, 4), [`created directory ${root}/var/log/bt`, `created the proxy's credential log ${root}/var/log/bt/credentials.jsonl, owned by bastion-metadataproxy`])
  t.ok(ctx.exec.calls.some((c) => c.join(' ') === `install -m 0640 -o bastion-metadataproxy -g bastion-metadataproxy /dev/null ${root}/var/log/bt/credentials.jsonl`))
})
