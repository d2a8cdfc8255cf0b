// Check `iptables`: the proxy's own check of its rules.
import t from 'tap'
import { iptablesCheck } from '../../../src/doctor/checks/iptables.ts'
import { iptablesStep } from '../../../src/setup/steps/iptables.ts'
import { fakeIptables, setupContext, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

t.test('every rule in place: ok; one missing: one problem listing it', async (t) => {
  const kernel = fakeIptables()
  await iptablesStep.apply(setupContext(scratchDir(t), { iptables: kernel }))
  const ctx = doctorContext(scratchDir(t), { iptables: kernel })
  t.same(await iptablesCheck.run(ctx), { status: 'ok', detail: 'all fail-closed IMDS rules (BT-UNIT) are in place' })
  kernel.rules.delete('nat PREROUTING -i btunit0 -j BT-UNIT')
  const f = await iptablesCheck.run(ctx)
  t.same(f, { status: 'problems', problems: [{ problem: "1 fail-closed IMDS rule(s) missing, so containers may reach the host's IMDS or get none: nat PREROUTING: traffic from btunit0 jumps to BT-UNIT", fix: 'bastion setup iptables (or systemctl restart bastion-imds-firewall)' }] })
})

t.test('iptables that cannot be read is a problem, not a crash', async (t) => {
  const ctx = doctorContext(scratchDir(t), { iptables: { run: async () => ({ exitCode: 4, stdout: '', stderr: 'Permission denied (you must be root)' }) } })
  const f = await iptablesCheck.run(ctx)
  t.equal(f.status, 'problems')
  t.match(f.status === 'problems' ? f.problems[0]?.problem : '', /iptables could not be read \(.*you must be root/)
})
