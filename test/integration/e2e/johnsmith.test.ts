// johnsmith, in k8s-poweruser@hyades, through the real OpenSSH client, his own container
// and the whole chain (metadata proxy, STS, aws eks get-token, the authenticator,
// aws-auth, RBAC): everything in hyades except RBAC itself.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { containerStsEndpoint, localBastion, ssh } from '../../fixtures/e2e-bastion.ts'
import { exists, remove, seedPods } from '../../fixtures/e2e-cluster.ts'

const b = localBastion()
await seedPods()

t.test('kubectl get pods -A lists the pods of every namespace', async (t) => {
  const r = await ssh(b, 'johnsmith', 'kubectl get pods -A')
  t.equal(r.exitCode, 0, 'it succeeds', { stderr: r.stderr })
  t.match(r.stdout, /^NAMESPACE\s+NAME\s+READY\s+STATUS/m)
  t.match(r.stdout, /^default\s+e2e-web\s/m)
  t.match(r.stdout, /^taurus\s+e2e-taurus-web\s/m)
})

t.test('kubectl create deployment works', async (t) => {
  const name = `e2e-john-${randomBytes(3).toString('hex')}`
  t.teardown(() => remove(`/apis/apps/v1/namespaces/default/deployments/${name}`))
  const r = await ssh(b, 'johnsmith', `kubectl create deployment ${name} --image=nginx`)
  t.equal(r.exitCode, 0, 'it succeeds', { stderr: r.stderr })
  t.match(r.stdout, `deployment.apps/${name} created`)
  t.ok(await exists(`/apis/apps/v1/namespaces/default/deployments/${name}`), 'the cluster has it')
})

t.test('kubectl create clusterrolebinding is forbidden', async (t) => {
  const name = `e2e-john-${randomBytes(3).toString('hex')}`
  t.teardown(() => remove(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`))
  const r = await ssh(b, 'johnsmith', `kubectl create clusterrolebinding ${name} --clusterrole=cluster-admin --user=johnsmith`)
  t.not(r.exitCode, 0)
  t.match(r.stderr, /is forbidden: User "johnsmith" cannot create resource "clusterrolebindings"/)
  t.notOk(await exists(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`), 'the cluster has none')
})

t.test('aws sts get-caller-identity, asked of the emulator, shows assumed-role/johnsmith/johnsmith', async (t) => {
  const r = await ssh(b, 'johnsmith', `aws sts get-caller-identity --endpoint-url ${containerStsEndpoint()} --output json`)
  t.equal(r.exitCode, 0, 'it succeeds', { stderr: r.stderr })
  t.match(JSON.parse(r.stdout).Arn, /^arn:aws:sts::\d{12}:assumed-role\/johnsmith\/johnsmith$/)
})
