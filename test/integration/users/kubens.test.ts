// kubens for a namespace-tier user, on the real components: `bastion users sync` writes
// the namespaces a person holds through their namespace-tier groups on moto's IAM into
// shell.kubeconfigDir, and in their container (the bed's sshd and broker, the toolbox
// image built from this tree) kubens lists exactly those and switches among them,
// though the cluster never lets them list namespaces. A cluster-tier user, who may,
// still sees the cluster's own list, and cannot read another person's file.
//
// The toolbox image here is this tree's offline build under a tag of this suite's own
// (TOOLBOX_TAG), since the bed's bastion/toolbox:test is shared. The cluster side, each
// person's role mapped to their name and their RBAC in hyades, is rbacsync's part
// (test/integration/rbacsync); here the test's admin sets it up as rbacsync would.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { authnBed, kube, mapRole } from '../../fixtures/authenticator.ts'
import { iamPeople } from '../../fixtures/iam-people.ts'
import { DOCKER } from '../../fixtures/shell.ts'
import { ssh } from '../../fixtures/ssh.ts'
import { bedFacts } from '../../fixtures/testbed.ts'
import { bastion, patchShellConfig, writeHyadesKubeconfig } from '../../fixtures/toolbox.ts'

const TOOLBOX_TAG = 'bastion/toolbox:users-kubens'
const run = randomBytes(3).toString('hex')
const PREFIX = 'bt-kns-'
const NS_USER = `${PREFIX}${run}-ns`
const CLUSTER_USER = `${PREFIX}${run}-cl`
const [NS1, NS2] = [`bt-kns-${run}-a`, `bt-kns-${run}-b`]
const bed = authnBed()

// This tree's toolbox image, built as the bed builds its own (test/bed/components/toolbox.sh).
const built = await bastion(bedFacts()('BASTION_TEST_SHELL_CONFIG'), ['image', 'build', '--offline', '--no-rollout', '--tag', TOOLBOX_TAG])
if (built.exitCode !== 0) throw new Error(`bastion image build failed: ${built.stderr}`)
// The build also tags it offline-<time> and sha-<id>, as a rollout's candidates: those
// are not this suite's to leave on the bed's Docker.
for (const tag of (/tagged (.+)$/m.exec(built.stdout)?.[1] ?? '').split(', ')) {
  if (tag !== '' && tag !== TOOLBOX_TAG) await execa(DOCKER, ['rmi', tag], { reject: false })
}

// The operators' kubeconfig for hyades, and that image, for this suite's containers.
const kubeDir = await writeHyadesKubeconfig(t.testdir({}))
patchShellConfig(t, [[['shell', 'kubeconfigDir'], kubeDir], [['shell', 'image'], TOOLBOX_TAG]])

// IAM in an account of this run's own (the sync reads people there); the roles the
// metadata proxy assumes for them are in moto's default account, mapped in aws-auth.
const people = await iamPeople(PREFIX, String(Date.now()).slice(-12))
t.teardown(() => people.cleanup())

// hyades: the user tier in two namespaces for the one, in the whole cluster for the
// other, with rbacsync's own ClusterRoles for that tier, bound as rbacsync binds them.
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', role: string, name: string, user: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }]
})
for (const ns of [NS1, NS2]) {
  const made = await kube(bed, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })
  if (made.status !== 201) throw new Error(`creating namespace ${ns}: ${made.status}`)
  t.teardown(() => kube(bed, 'DELETE', `/api/v1/namespaces/${ns}`))
  await kube(bed, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, { body: binding('RoleBinding', 'k8s-user@hyades', NS_USER, NS_USER) })
}
await kube(bed, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { body: binding('ClusterRoleBinding', 'k8s-user@hyades', CLUSTER_USER, CLUSTER_USER) })
t.teardown(() => kube(bed, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${CLUSTER_USER}`))
await mapRole(t, bed, NS_USER, NS_USER)
await mapRole(t, bed, CLUSTER_USER, CLUSTER_USER)

const nsUser = await people.person(NS_USER, [`k8s-user@hyades@${NS1}`, `k8s-user@hyades@${NS2}`])
const clusterUser = await people.person(CLUSTER_USER, ['k8s-user@hyades'])
await people.sync()
const as = (p: { name: string, key: string }, command: string) => ssh(p.name, command, { extra: ['-i', p.key], timeoutMs: 120_000 })

t.test("users sync writes the namespace-tier user's namespaces, for them alone to read", async (t) => {
  const file = join(kubeDir, 'namespaces', NS_USER)
  t.equal(readFileSync(file, 'utf8'), [`hyades ${NS1}`, `hyades ${NS2}`, ''].join('\n'))
  const st = statSync(file)
  t.same([st.uid, st.mode & 0o777], [0, 0o640], "root's, read-only to its group")
  const gid = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${NS_USER}:`))?.split(':')[3]
  t.equal(String(st.gid), gid, "its group is the person's own")
  const other = await as(clusterUser, `cat /etc/bastion/kube/namespaces/${NS_USER}`)
  t.not(other.exitCode, 0, "another person's container cannot read it")
  t.match(other.stderr, /Permission denied/)
})

t.test('a namespace-tier user: kubens lists exactly their namespaces and switches among them, with no list of namespaces', async (t) => {
  const r = await as(nsUser, 'kubectl auth can-i list namespaces; echo "--"; kubens; echo "rc=$?"')
  t.match(r.stdout.toString(), /^no\n--\n/, 'the cluster does not let them list namespaces')
  t.equal(r.stdout.toString().split('--\n')[1], `${NS1}\n${NS2}\nrc=0\n`, 'kubens lists exactly theirs', { stderr: r.stderr })

  const sw = await as(nsUser, `kubens ${NS2} && kubens -c && kubectl get pods 2>&1`)
  t.equal(sw.exitCode, 0, sw.stderr + sw.stdout.toString())
  t.match(sw.stderr, `Active namespace is "${NS2}"`)
  t.match(sw.stdout.toString(), new RegExp(`^${NS2}\\nNo resources found in ${NS2} namespace\\.$`, 'm'), 'kubectl now works in it')

  const back = await as(nsUser, `kubens ${NS1} && kubens - && kubens -c`)
  t.equal(back.exitCode, 0, back.stderr)
  t.match(back.stdout.toString(), new RegExp(`^${NS2}$`, 'm'), '`kubens -` goes back to the previous one')

  const not = await as(nsUser, 'kubens kube-system; echo "rc=$?"; kubens -c')
  t.match(not.stdout.toString(), new RegExp(`^rc=1\\n${NS2}$`, 'm'), 'a namespace not theirs is refused, and nothing changes')
  t.match(not.stderr, `"kube-system" is not a namespace of yours on cluster hyades (yours: ${NS1}, ${NS2})`)
})

t.test("a cluster-tier user still sees the cluster's own list", async (t) => {
  const r = await as(clusterUser, 'kubectl auth can-i list namespaces; kubens')
  t.equal(r.exitCode, 0, r.stderr)
  const lines = r.stdout.toString().trim().split('\n')
  t.equal(lines[0], 'yes')
  for (const ns of ['default', 'kube-system', NS1, NS2]) t.ok(lines.includes(ns), `lists ${ns}`)
})
