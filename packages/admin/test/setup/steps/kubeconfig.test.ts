// Step `kubeconfig`: the kubeconfig writer's dry run plans, its real run applies.
import t from 'tap'
import { kubeconfigStep } from '../../../src/setup/steps/kubeconfig.ts'
import { setupContext, scratchDir } from '../fixtures.ts'

t.test('plan asks for a dry run, apply for the real one', async (t) => {
  const asked: boolean[] = []
  const ctx = setupContext(scratchDir(t), { writeKubeconfig: async ({ dryRun }) => { asked.push(dryRun); return dryRun ? ['write /etc/bastion/kube/config'] : ['wrote /etc/bastion/kube/config'] } })
  t.same(await kubeconfigStep.plan(ctx), ['write /etc/bastion/kube/config'])
  t.same(await kubeconfigStep.apply(ctx), ['wrote /etc/bastion/kube/config'])
  t.same(asked, [true, false])
})
