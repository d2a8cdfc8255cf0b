// Check `iptables`: the proxy's own check of its rules.
import t from 'tap'
import { iptablesCheck } from '../../../src/doctor/checks/iptables.ts'
import { iptablesStep } from '../../../src/setup/steps/iptables.ts'
import { fakeIptables, setupContext, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const FIX = 'bastion setup iptables (or systemctl restart bastion-imds-firewall); the running proxy repairs them within metadataproxy.iptables.checkSeconds, so drift that stays means it is down or cannot'

t.test('every rule in place: ok; one missing: one problem listing it', async (t) => {
  const kernel = fakeIptables()
  const host = setupContext(scratchDir(t), { iptables: kernel })
  await iptablesStep.apply(host)
  const ctx = doctorContext(scratchDir(t), { iptables: kernel, exec: host.exec })
  t.same(await iptablesCheck.run(ctx), { status: 'ok', detail: 'all fail-closed IMDS rules (BT-UNIT) are in place and first' })
  kernel.rules.delete('nat PREROUTING -i btunit0 -j BT-UNIT')
  const f = await iptablesCheck.run(ctx)
  t.same(f, { status: 'problems', problems: [{ problem: "1 fail-closed IMDS rule(s) missing, so containers may reach the host's IMDS or get none: nat PREROUTING: traffic from btunit0 jumps to BT-UNIT", fix: FIX }] })
})

t.test('a rule ahead of our jump that accepts the traffic is one problem naming it', async (t) => {
  const kernel = fakeIptables()
  const host = setupContext(scratchDir(t), { iptables: kernel })
  await iptablesStep.apply(host)
  const ours = [...kernel.rules]
  kernel.rules.clear()
  for (const r of ['filter DOCKER-USER -i btunit0 -j ACCEPT', ...ours]) kernel.rules.add(r)
  const f = await iptablesCheck.run(doctorContext(scratchDir(t), { iptables: kernel, exec: host.exec }))
  t.equal(f.status === 'problems' ? f.problems.length : 0, 1)
  t.match(f, { status: 'problems', problems: [{ problem: /^\d fail-closed IMDS rule\(s\) bypassed by a rule ahead that may accept the traffic: .*filter DOCKER-USER: traffic from btunit0 jumps to BT-UNIT-GUARD, is bypassed by: -A DOCKER-USER -i btunit0 -j ACCEPT/, fix: FIX }] })
})

t.test('iptables that cannot be read is a problem, not a crash', async (t) => {
  const ctx = doctorContext(scratchDir(t), { iptables: { run: async () => ({ exitCode: 4, stdout: '', stderr: 'Permission denied (you must be root)' }) } })
  const f = await iptablesCheck.run(ctx)
  t.equal(f.status, 'problems')
  t.match(f.status === 'problems' ? f.problems[0]?.problem : '', /iptables could not be read \(.*you must be root/)
})
