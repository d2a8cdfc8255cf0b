// The smoke test on a fake Docker: what it runs, how, and what a failure says.
import t from 'tap'
import { AGENT_BIN } from '@bastion/shell'
import { smokeChecks, smokeTest } from '../../src/image/smoke.ts'
import { FakeDocker, sink } from '../fixtures/toolbox.ts'

const opts = (o: { exists?: boolean } = {}) => ({ agentPath: '/usr/local/libexec/bastion/bastion-agent', timeoutMs: 5000, output: sink(), exists: () => o.exists ?? true })

t.test('kubectl, aws, k9s and the agent each run once, in the image, the agent mounted where the shell mounts it', async (t) => {
  const docker = new FakeDocker()
  const o = opts()
  await smokeTest(docker, 'sha256:abc', o)
  t.same(docker.runs.map((r) => r.argv), [['kubectl', 'version', '--client'], ['aws', '--version'], ['k9s', 'version'], [AGENT_BIN, '-h']])
  t.ok(docker.runs.every((r) => r.image === 'sha256:abc' && r.timeoutMs === 5000))
  t.same(docker.runs.map((r) => r.binds), [[], [], [], [`/usr/local/libexec/bastion/bastion-agent:${AGENT_BIN}:ro`]])
  t.equal(o.output.text, ['kubectl version --client', 'aws --version', 'k9s version', `${AGENT_BIN} -h`].map((c) => `smoke test: ${c}: ok\n`).join(''))
})

t.test('no agent binary on the host: the agent check is skipped, and says so', async (t) => {
  const docker = new FakeDocker()
  const o = opts({ exists: false })
  await smokeTest(docker, 'img', o)
  t.equal(docker.runs.length, 3)
  t.match(o.output.text, /^smoke test: agent skipped: shell\.agent\.path \/usr\/local\/libexec\/bastion\/bastion-agent does not exist/)
  t.equal(smokeChecks(undefined).length, 3)
})

t.test('every failing check is named, with its exit status and last line, and the others still run', async (t) => {
  const docker = new FakeDocker()
  docker.answer = (s) => s.argv[0] === 'kubectl'
    ? { exitCode: 127, output: 'docker: Error response from daemon: failed to create task\nexec: "kubectl": executable file not found in $PATH\n' }
    : s.argv[0] === 'k9s' ? new Error('took longer than 5000 ms') : { exitCode: 0, output: '' }
  const o = opts()
  await t.rejects(smokeTest(docker, 'sha256:bad', o), {
    code: 'BASTION_ADMIN_IMAGE_SMOKE_FAILED',
    message: 'image sha256:bad failed its smoke test, so it is neither tagged nor made shell.image: kubectl (`kubectl version --client`) exited 127: exec: "kubectl": executable file not found in $PATH; k9s (`k9s version`) took longer than 5000 ms'
  })
  t.equal(docker.runs.length, 4, 'every check ran')
  t.match(o.output.text, /smoke test: kubectl version --client: FAILED \(exited 127: .*\)\nsmoke test: aws --version: ok\n/)
  docker.answer = () => ({ exitCode: 1, output: '  \n' })
  await t.rejects(smokeTest(docker, 'x', opts()), { message: /exited 1: no output/ })
  docker.answer = () => ({ exitCode: 125, output: 'docker: Error response from daemon: no such image\nRun \'docker run --help\' for more information\n' })
  await t.rejects(smokeTest(docker, 'x', opts()), { message: /exited 125: docker: Error response from daemon: no such image;/ })
  docker.answer = () => ({ exitCode: 2, output: 'starting\nbad flag -q\n' })
  await t.rejects(smokeTest(docker, 'x', opts()), { message: /exited 2: bad flag -q;/ })
})

t.test('by default the agent is looked for on the real filesystem', async (t) => {
  const docker = new FakeDocker()
  const o = { agentPath: '/nonexistent/bastion-agent', timeoutMs: 1000, output: sink() }
  await smokeTest(docker, 'img', o)
  t.equal(docker.runs.length, 3)
})
