// The steps in their fixed order, planned or applied, each change reported once.
import t from 'tap'
import { runSetup, selectSteps, STEPS } from '../../src/setup/run.ts'
import { STEP_NAMES, type Step } from '../../src/setup/context.ts'
import { setupContext, scratchDir } from './fixtures.ts'

t.test('the steps run in the documented order, whatever order they are named in', async (t) => {
  t.same(STEPS.map((s) => s.name), [...STEP_NAMES])
  t.same(selectSteps([]).map((s) => s.name), [...STEP_NAMES])
  t.same(selectSteps(['users', 'iptables', 'config']).map((s) => s.name), ['config', 'iptables', 'users'])
  t.throws(() => selectSteps(['iptables', 'firewall']), { code: 'BASTION_ADMIN_SETUP_USAGE', message: /unknown step "firewall"; the steps are config, units, iptables, shell, sshd, users, image, kubeconfig/ })
})

t.test('--check plans, a run applies, and each change is reported as it happens', async (t) => {
  const calls: string[] = []
  const step = (name: 'units' | 'users', changes: string[]): Step => ({
    name,
    summary: name,
    plan: async () => { calls.push(`plan ${name}`); return changes.map((c) => `would ${c}`) },
    apply: async () => { calls.push(`apply ${name}`); return changes }
  })
  const steps = [step('units', ['a', 'b']), step('users', [])]
  const ctx = setupContext(scratchDir(t))
  const reported: string[] = []
  const planned = await runSetup(ctx, steps, { check: true, report: (c) => reported.push(`${c.step}: ${c.what}`) })
  t.same(planned, [{ step: 'units', what: 'would a' }, { step: 'units', what: 'would b' }])
  const applied = await runSetup(ctx, steps, { check: false, report: (c) => reported.push(`${c.step}: ${c.what}`) })
  t.same(applied.map((c) => c.what), ['a', 'b'])
  t.same(calls, ['plan units', 'plan users', 'apply units', 'apply users'])
  t.same(reported, ['units: would a', 'units: would b', 'units: a', 'units: b'])
})

t.test('a failing step stops the run: later steps do not run', async (t) => {
  const ran: string[] = []
  const steps: Step[] = [
    { name: 'config', summary: '', plan: async () => [], apply: async () => { throw new Error('bad config') } },
    { name: 'units', summary: '', plan: async () => [], apply: async () => { ran.push('units'); return [] } }
  ]
  await t.rejects(runSetup(setupContext(scratchDir(t)), steps, { check: false, report: () => {} }), /bad config/)
  t.same(ran, [])
})
