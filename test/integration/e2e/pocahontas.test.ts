// pocahontas, in k8s-admin@hyades@taurus: anything in taurus, RoleBindings included,
// and nothing anywhere else.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { localBastion, ssh } from '../../fixtures/e2e-bastion.ts'
import { exists, remove, seedPods } from '../../fixtures/e2e-cluster.ts'

const b = localBastion()
await seedPods()
const suffix = (): string => randomBytes(3).toString('hex')

t.test('in taurus she lists pods, creates a deployment and a RoleBinding', async (t) => {
  const list = await ssh(b, 'pocahontas', 'kubectl get pods -n taurus')
  t.equal(list.exitCode, 0, 'it succeeds', { stderr: list.stderr })
  t.match(list.stdout, /^e2e-taurus-web\s/m)

  const deploy = `e2e-poca-${suffix()}`
  t.teardown(() => remove(`/apis/apps/v1/namespaces/taurus/deployments/${deploy}`))
  const d = await ssh(b, 'pocahontas', `kubectl create deployment ${deploy} --image=nginx -n taurus`)
  t.equal(d.exitCode, 0, 'it succeeds', { stderr: d.stderr })
  t.ok(await exists(`/apis/apps/v1/namespaces/taurus/deployments/${deploy}`))

  const binding = `e2e-poca-${suffix()}`
  t.teardown(() => remove(`/apis/rbac.authorization.k8s.io/v1/namespaces/taurus/rolebindings/${binding}`))
  const rb = await ssh(b, 'pocahontas', `kubectl create rolebinding ${binding} --clusterrole=view --user=johnsmith -n taurus`)
  t.equal(rb.exitCode, 0, 'it succeeds', { stderr: rb.stderr })
  t.match(rb.stdout, `rolebinding.rbac.authorization.k8s.io/${binding} created`)
  t.ok(await exists(`/apis/rbac.authorization.k8s.io/v1/namespaces/taurus/rolebindings/${binding}`))
})

t.test('kubectl get pods -A is forbidden', async (t) => {
  const r = await ssh(b, 'pocahontas', 'kubectl get pods -A')
  t.not(r.exitCode, 0)
  t.match(r.stderr, /is forbidden: User "pocahontas" cannot list resource "pods" in API group "" at the cluster scope/)
  t.notMatch(r.stdout, /e2e-web/)
})

t.test('another namespace is forbidden, for reading and for writing', async (t) => {
  const list = await ssh(b, 'pocahontas', 'kubectl get pods -n default')
  t.not(list.exitCode, 0)
  t.match(list.stderr, /is forbidden: User "pocahontas" cannot list resource "pods" in API group "" in the namespace "default"/)
  const name = `e2e-poca-${suffix()}`
  t.teardown(() => remove(`/apis/apps/v1/namespaces/default/deployments/${name}`))
  const create = await ssh(b, 'pocahontas', `kubectl create deployment ${name} --image=nginx -n default`)
  t.not(create.exitCode, 0)
  t.match(create.stderr, /is forbidden: User "pocahontas" cannot create resource "deployments" in API group "apps" in the namespace "default"/)
  t.notOk(await exists(`/apis/apps/v1/namespaces/default/deployments/${name}`))
})
