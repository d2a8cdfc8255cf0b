// The kubeconfig inside a user's container, over the test bed's sshd: the operators'
// file is mounted read-only, KUBECONFIG puts the user's own file first, and the user's
// choices (kubectx, `kubectl config set-context --current --namespace`, kubens) land in
// their home with the image's kubectl, survive a new container, and do not touch
// the operators' file. A cluster the operators add reaches running containers.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { interactive, ssh } from '../../fixtures/ssh.ts'
import { HOME_ROOT, containersOf, removeContainersOf } from '../../fixtures/shell.ts'
import { bedFacts } from '../../fixtures/testbed.ts'
import { bastion, patchShellConfig } from '../../fixtures/toolbox.ts'

const USER = 'bt-carol'
const ca = readFileSync(bedFacts()('BASTION_TEST_KUBE_CA')).toString('base64')
const dir = t.testdir({})
const kubeconfig = join(dir, 'kube', 'config')
const sha = (): string => createHash('sha256').update(readFileSync(kubeconfig)).digest('hex')

function writeClusters (names: string[]): void {
  const clusters = names.map((n) => `{name: ${n}, region: eu-west-1, endpoint: "https://${n}.example:443", certificateAuthority: "${ca}"}`)
  writeFileSync(join(dir, 'bastion.yaml'), `shell:\n  kubeconfigDir: ${dir}/kube\nclusters: [${clusters.join(', ')}]\n`)
}

const run = async (command: string): Promise<{ code: number, out: string, err: string }> => {
  const r = await ssh(USER, command, { timeoutMs: 60_000 })
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr }
}

writeClusters(['hyades', 'pleiades'])
const wrote = await bastion(join(dir, 'bastion.yaml'), ['kubeconfig', 'write'])
if (wrote.exitCode !== 0) throw new Error(wrote.stderr)
patchShellConfig(t, [[['shell', 'kubeconfigDir'], join(dir, 'kube')]])
// Carol starts from a home without a kubeconfig of her own and ends with none.
const ownKube = join(HOME_ROOT, USER, '.kube')
const clean = async (): Promise<void> => {
  await removeContainersOf(USER)
  await run('true').catch(() => undefined)
  await run('rm -rf ~/.kube')
  await removeContainersOf(USER)
}
await clean()
t.teardown(clean)

t.test("the operators' kubeconfig is there, read-only, behind the user's own file", async (t) => {
  const r = await run('echo "$KUBECONFIG"; kubectl config get-contexts -o name; kubectl config current-context; touch /etc/bastion/kube/x 2>&1; ls ~/.kube')
  t.equal(r.code, 0, r.err)
  const [env, ...rest] = r.out.trim().split('\n')
  t.equal(env, `/home/${USER}/.kube/config:/tmp/.bastion-kube/config`)
  t.same(rest.slice(0, 3), ['hyades', 'pleiades', 'hyades'])
  t.match(r.out, /Read-only file system/)
  t.match(r.out, /^config$/m, 'her own file was seeded with the contexts')
})

t.test("kubectx and set-context --namespace work with the image's kubectl, into her own file only", async (t) => {
  const before = sha()
  const r = await run('kubectl config set-context --current --namespace team-a && kubectx pleiades && kubectl config set-context --current --namespace team-b && kubens --current')
  t.equal(r.code, 0, r.err)
  t.match(r.out + r.err, /Switched to context "pleiades"/)
  t.match(r.out, /^team-b$/m, 'kubens reads the namespace back')
  const view = await run("kubectl config view --minify -o 'jsonpath={.current-context}:{..namespace}'")
  t.equal(view.out, 'pleiades:team-b')
  t.equal(sha(), before, "the operators' file is untouched")
  const own = parse(readFileSync(join(ownKube, 'config'), 'utf8'))
  t.equal(own['current-context'], 'pleiades')
  t.same(Object.fromEntries(own.contexts.map((c: { name: string, context: { namespace?: string } }) => [c.name, c.context.namespace])), { hyades: 'team-a', pleiades: 'team-b' })
  t.equal(own.clusters, null, 'no cluster or credential is copied into it')
})

t.test('her choices survive a new container', async (t) => {
  const before = await containersOf(USER)
  await removeContainersOf(USER)
  const r = await run("kubectl config view --minify -o 'jsonpath={.current-context}:{..namespace}'")
  t.not((await containersOf(USER))[0], before[0])
  t.equal(r.out, 'pleiades:team-b')
})

t.test("a cluster the operators add reaches her running container, and she can use it at once", async (t) => {
  const container = await containersOf(USER)
  writeClusters(['hyades', 'pleiades', 'orion'])
  const r0 = await bastion(join(dir, 'bastion.yaml'), ['kubeconfig', 'write'])
  t.match(r0.stdout, /wrote .*3 contexts/)
  const r = await run('kubectl config get-contexts -o name; kubectx orion && kubectl config set-context --current --namespace nebula >/dev/null && kubectl config view --minify -o "jsonpath={.current-context}:{..namespace}"')
  t.equal(r.code, 0, r.err)
  t.match(r.out, /^orion$/m)
  t.match(r.out, /orion:nebula$/)
  t.same(await containersOf(USER), container, 'the same container: the directory is mounted, not the file')
})

t.test('the prompt of an interactive login shows the cluster and namespace', async (t) => {
  const term = interactive(USER)
  t.teardown(() => term.kill())
  await term.waitFor(/bt-carol@bastion \[orion:nebula\]:~\$ $/m, 30_000)
  term.write('kubectx hyades >/dev/null 2>&1\r')
  await term.waitFor(/bt-carol@bastion \[hyades:team-a\]:~\$ $/m)
  term.write('exit\r')
  t.equal((await term.exit).exitCode, 0)
})
