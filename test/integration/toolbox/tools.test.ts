// The offline toolbox image as the test bed built it (bastion image build --offline):
// every tool runs and says its version, completion loads for each, it runs as a
// non-root user, and its prompt shows the current cluster and namespace. The
// production build shares setup.sh and rootfs/ with it (production-dockerfile.test.ts
// checks that); it cannot be built on a machine without internet.
import t from 'tap'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { bedFacts } from '../../fixtures/testbed.ts'
import { COMPLETIONS, TOOLS, imageSizeMb, inImage, toolboxImage } from '../../fixtures/toolbox.ts'

const image = toolboxImage()

t.test('every tool runs and says its version', async (t) => {
  for (const { tool, argv, says } of TOOLS) {
    const r = await inImage(image, argv)
    t.equal(r.exitCode, 0, `${tool} exits 0`)
    t.match(`${r.stdout}\n${r.stderr}`, says, `${tool}: ${argv.join(' ')}`)
  }
  // The offline build copies in the test bed's own kubectl (toolbox.offline.kubectl), the
  // version of the bed's kube-apiserver: Debian's 1.20 is far outside the version skew.
  const kubectl = await inImage(image, ['kubectl', 'version', '--client', '-o', 'json'])
  const host = await execa(bedFacts()('BASTION_TEST_KUBECTL'), ['version', '--client', '-o', 'json'])
  const version = (text: string): string => (JSON.parse(text) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion
  t.match(version(kubectl.stdout), /^v1\.\d+\.\d+$/, 'a stamped release version')
  t.equal(version(kubectl.stdout), version(host.stdout), "the bed's kubectl, the version of its kube-apiserver")
  t.equal((await inImage(image, ['sh', '-c', 'command -v kubectl; test ! -e /usr/bin/kubectl && echo no-debian-kubectl'])).stdout, '/usr/local/bin/kubectl\nno-debian-kubectl')
})

t.test('the sftp-server the shell runs for sftp is there, and the aws CLI can presign (eks get-token)', async (t) => {
  t.equal((await inImage(image, ['test', '-x', '/usr/lib/openssh/sftp-server'])).exitCode, 0)
  const help = await inImage(image, ['aws', 'eks', 'get-token', 'help'], { env: { PAGER: 'cat', AWS_PAGER: '' } })
  t.match(help.stdout, /get-token/)
})

t.test('completion loads for each tool in an interactive shell', async (t) => {
  const script = COMPLETIONS.map((c) => `_completion_loader ${c}; complete -p ${c}`).join('; ')
  const r = await inImage(image, ['bash', '-ic', script], { env: { TERM: 'dumb' } })
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout, /complete -o default -F __start_kubectl kubectl/)
  t.match(r.stdout, /complete -o default -F __start_k9s k9s/)
  t.match(r.stdout, /complete -F _kube_contexts kubectx/)
  t.match(r.stdout, /complete -F _kube_namespaces kubens/)
  t.match(r.stdout, /complete -C '?\S*aws_completer'? aws/)
  const words = await inImage(image, ['bash', '-ic', 'COMP_WORDS=(kubectl conf); COMP_CWORD=1; COMP_LINE="kubectl conf"; COMP_POINT=12; _completion_loader kubectl; __start_kubectl; printf "%s\\n" "${COMPREPLY[@]}"'], { env: { TERM: 'dumb' } })
  t.match(words.stdout, /^config$/m, 'kubectl conf<TAB> completes to config')
})

t.test('it runs as a non-root user, and as any uid the shell gives it', async (t) => {
  t.match((await inImage(image, ['id'])).stdout, /^uid=1000\(toolbox\) gid=1000\(toolbox\)/)
  t.equal((await inImage(image, ['id', '-u'], { user: '4321:4321' })).stdout, '4321')
  t.match((await inImage(image, ['sh', '-c', 'echo $BASH_ENV; test -w /usr/bin || echo ro'])).stdout, /kube-seed\.sh\nro/)
})

t.test('the prompt shows the current cluster and namespace, and follows kubectl config changes', async (t) => {
  const dir = t.testdir({})
  mkdirSync(join(dir, 'home'))
  chmodSync(join(dir, 'home'), 0o777)
  writeFileSync(join(dir, 'config'), [
    'apiVersion: v1', 'kind: Config', 'current-context: hyades',
    'clusters: [{name: hyades, cluster: {server: "https://h.example"}}, {name: pleiades, cluster: {server: "https://p.example"}}]',
    'contexts: [{name: hyades, context: {cluster: hyades, user: u}}, {name: pleiades, context: {cluster: pleiades, user: u, namespace: stars}}]',
    'users: [{name: u, user: {}}]', ''
  ].join('\n'))
  // The link the shell's container makes at start (packages/shell/src/container/spec.ts).
  const script = [
    'cd',
    'show () { __bastion_kube_prompt; echo "prompt: ${PS1@P}"; }',
    'show',
    'kubectl config set-context --current --namespace kube-system >/dev/null; show',
    'kubectx pleiades >/dev/null 2>&1; show',
    'kubectl config set-context --current --namespace comets >/dev/null; show'
  ].join('\n')
  const r = await inImage(image, ['sh', '-c', 'mkdir -p /tmp/.bastion-kube && ln -s /k/config /tmp/.bastion-kube/config && exec bash -ic "$0"', script], {
    user: '1000:1000',
    hostname: 'bastion',
    env: { TERM: 'dumb', HOME: '/home/x', KUBECONFIG: '/home/x/.kube/config:/tmp/.bastion-kube/config' },
    mounts: [`${dir}:/k:ro`, `${join(dir, 'home')}:/home/x`]
  })
  const prompts = r.stdout.split('\n').filter((l) => l.startsWith('prompt: '))
  t.same(prompts, [
    'prompt: toolbox@bastion [hyades:default]:~$ ',
    'prompt: toolbox@bastion [hyades:kube-system]:~$ ',
    'prompt: toolbox@bastion [pleiades:stars]:~$ ',
    'prompt: toolbox@bastion [pleiades:comets]:~$ '
  ], r.stderr)
})

t.test('image size', async (t) => {
  const mb = await imageSizeMb(image)
  t.comment(`${image}: ${mb} MB`)
  t.ok(mb > 100 && mb < 1500, `${mb} MB is the size of a toolbox, not of a base image or a runaway layer`)
})
