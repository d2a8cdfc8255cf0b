// `bastion setup`: the steps in their fixed order, each planned (--check) or applied,
// with one line per change. A run that changes nothing says so and writes nothing.
import { configStep } from './steps/config.ts'
import { unitsStep } from './steps/units.ts'
import { iptablesStep } from './steps/iptables.ts'
import { shellStep } from './steps/shell.ts'
import { sshdStep } from './steps/sshd.ts'
import { usersStep } from './steps/users.ts'
import { imageStep } from './steps/image.ts'
import { kubeconfigStep } from './steps/kubeconfig.ts'
import { setupError } from './errors.ts'
import { STEP_NAMES, type SetupContext, type Step } from './context.ts'

// The order matters: the rules are in place before anything could start a container,
// the drop-in exists before sshd is checked, bastion-shell exists before it becomes
// anyone's login shell.
export const STEPS: readonly Step[] = [configStep, unitsStep, iptablesStep, shellStep, sshdStep, usersStep, imageStep, kubeconfigStep]

// The named steps in their fixed order; none named: all of them.
export function selectSteps (names: readonly string[]): Step[] {
  for (const n of names) {
    if (!(STEP_NAMES as readonly string[]).includes(n)) throw setupError('BASTION_ADMIN_SETUP_USAGE', `unknown step ${JSON.stringify(n)}; the steps are ${STEP_NAMES.join(', ')}`)
  }
  return STEPS.filter((s) => names.length === 0 || names.includes(s.name))
}

export interface Change { step: string, what: string }

export async function runSetup (ctx: SetupContext, steps: readonly Step[], opts: { check: boolean, report: (c: Change) => void }): Promise<Change[]> {
  const all: Change[] = []
  for (const step of steps) {
    const changes = opts.check ? await step.plan(ctx) : await step.apply(ctx)
    for (const what of changes) {
      const c = { step: step.name, what }
      all.push(c)
      opts.report(c)
    }
  }
  return all
}
