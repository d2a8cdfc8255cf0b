// Access follows IAM groups: moving johnsmith from k8s-poweruser@hyades to
// k8s-user@hyades and re-running rbacsync changes his rights at his next kubectl call,
// in the session he already has open.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { iam, localBastion, rbacsync, session } from '../../fixtures/e2e-bastion.ts'
import { exists, remove, seedPods } from '../../fixtures/e2e-cluster.ts'

const b = localBastion()
const groups = iam(b)
await seedPods()

t.test('a group move and a sync take his write access at his next call, without a new login', async (t) => {
  t.ok((await groups.groupsOf('johnsmith')).includes('k8s-poweruser@hyades'), 'the story starts with johnsmith in k8s-poweruser@hyades')
  const s = await session(b, 'johnsmith', t)
  const first = `e2e-move-${randomBytes(3).toString('hex')}`
  const second = `e2e-move-${randomBytes(3).toString('hex')}`
  t.teardown(() => remove(`/apis/apps/v1/namespaces/default/deployments/${first}`))
  t.teardown(() => remove(`/apis/apps/v1/namespaces/default/deployments/${second}`))

  const before = await s.run(`kubectl create deployment ${first} --image=nginx`)
  t.equal(before.exitCode, 0, 'as a poweruser he creates a deployment', { output: before.output })

  t.teardown(async () => {
    if ((await groups.groupsOf('johnsmith')).includes('k8s-user@hyades')) await groups.remove('johnsmith', 'k8s-user@hyades')
    if (!(await groups.groupsOf('johnsmith')).includes('k8s-poweruser@hyades')) await groups.add('johnsmith', 'k8s-poweruser@hyades')
    const back = await rbacsync(b)
    if (back.exitCode !== 0) throw new Error(`rbacsync could not put johnsmith back: ${back.stdout}\n${back.stderr}`)
  })
  await groups.remove('johnsmith', 'k8s-poweruser@hyades')
  await groups.add('johnsmith', 'k8s-user@hyades')
  const sync = await rbacsync(b)
  t.equal(sync.exitCode, 0, 'rbacsync applies the move', { stdout: sync.stdout, stderr: sync.stderr })

  const after = await s.run(`kubectl create deployment ${second} --image=nginx`)
  t.not(after.exitCode, 0, 'as a user he no longer can')
  t.match(after.output, /is forbidden: User "johnsmith" cannot create resource "deployments" in API group "apps" in the namespace "default"/)
  t.notOk(await exists(`/apis/apps/v1/namespaces/default/deployments/${second}`))
  const read = await s.run('kubectl get pods -A')
  t.equal(read.exitCode, 0, 'he still reads')
  t.match(read.output, /e2e-web/)
})
