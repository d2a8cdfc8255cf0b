// Every toolbox build is smoke-tested on the real Docker before it can be rolled out:
// its kubectl, aws and k9s run, and so does the bed's agent, bind-mounted where the
// login shell mounts it, each in `docker run --rm --network none`. A build whose kubectl
// is missing (a Dockerfile variant of the bed's toolbox image) fails it: it gets no tag
// and shell.image is unchanged; `bastion image rollout` of such an image is refused the
// same way. And which build a host makes by default: production, unless its config says
// offline (the test beds' configs do). The production build itself needs downloads this
// machine cannot make, so its stand-in here is a Dockerfile on the bed's image.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { parse, stringify } from 'yaml'
import { DOCKER, SHELL_CONFIG } from '../../fixtures/shell.ts'
import { bastion, toolboxImage } from '../../fixtures/toolbox.ts'

const base = toolboxImage()
const agent: string = parse(readFileSync(SHELL_CONFIG, 'utf8')).shell.agent.path
const repository = `bt-smoke/toolbox-${process.pid}`
const dir = t.testdir({
  good: { 'Dockerfile.offline': `ARG BASE\nFROM ${base}\nLABEL bastion.test.variant="good"\n` },
  // kubectl gone, everything else as in the bed's image.
  'no-kubectl': { 'Dockerfile.offline': `ARG BASE\nFROM ${base}\nUSER root\nRUN rm /usr/local/bin/kubectl && ! command -v kubectl\nUSER toolbox\nLABEL bastion.test.variant="no-kubectl"\n` },
  flavors: {
    Dockerfile: `FROM ${base}\nLABEL bastion.test.flavor="production"\n`,
    'Dockerfile.offline': `ARG BASE\nFROM ${base}\nLABEL bastion.test.flavor="offline"\n`
  }
})
t.teardown(async () => {
  const ids = (await execa(DOCKER, ['images', '-q', '--filter', `reference=${repository}`], { reject: false })).stdout.split('\n').filter((l) => l !== '')
  const labelled = (await execa(DOCKER, ['images', '-q', '--filter', 'label=bastion.test.variant=no-kubectl'], { reject: false })).stdout.split('\n').filter((l) => l !== '')
  if (ids.length + labelled.length > 0) await execa(DOCKER, ['rmi', '-f', ...new Set([...ids, ...labelled])], { reject: false })
})

// A config of the test's own: the bed's image configured, the bed's agent, a history in
// the test directory. `flavor` left out is a host that is not a test bed.
function config (name: string, toolbox: Record<string, unknown> = { flavor: 'offline' }): string {
  const path = join(dir, `${name}.yaml`)
  writeFileSync(path, stringify({
    shell: { image: base, agent: { path: agent } },
    toolbox: { repository, historyFile: join(dir, `${name}-history.json`), ...toolbox }
  }))
  return path
}
const imageIn = (path: string): string => parse(readFileSync(path, 'utf8')).shell.image
const untaggedNoKubectl = async (): Promise<string[]> => (await execa(DOCKER, ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'label=bastion.test.variant=no-kubectl'])).stdout.split('\n').filter((l) => l !== '')

t.test('a good build passes the smoke test on real Docker, then becomes shell.image', async (t) => {
  const cfg = config('good')
  const r = await bastion(cfg, ['image', 'build', '--context', join(dir, 'good')])
  t.equal(r.exitCode, 0, r.exitCode === 0 ? 'built' : r.stderr)
  for (const line of ['kubectl version --client', 'aws --version', 'k9s version', '/usr/local/libexec/bastion-agent -h']) t.match(r.stderr, `smoke test: ${line}: ok`)
  t.match(imageIn(cfg), new RegExp(`^${repository}:offline-\\d{8}T\\d{6}Z$`))
})

t.test('a build whose kubectl is missing fails the smoke test: no tag, shell.image unchanged, no container left', async (t) => {
  const cfg = config('broken')
  const before = readFileSync(cfg, 'utf8')
  const r = await bastion(cfg, ['image', 'build', '--context', join(dir, 'no-kubectl'), '--tag', `${repository}:would-be`])
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /smoke test: kubectl version --client: FAILED \(exited 127: .*"kubectl": executable file not found.*\)/)
  t.match(r.stderr, /smoke test: aws --version: ok/, 'the other checks still ran')
  t.match(r.stderr, /^bastion: image sha256:[0-9a-f]{64} failed its smoke test, so it is neither tagged nor made shell\.image: kubectl \(`kubectl version --client`\) exited 127: .*\(BASTION_ADMIN_IMAGE_SMOKE_FAILED\)$/m)
  t.equal(readFileSync(cfg, 'utf8'), before, 'the config file, shell.image included, is unchanged')
  t.equal(imageIn(cfg), base)
  t.same(await untaggedNoKubectl(), ['<none>:<none>'], 'the image exists, but under no name (not even --tag)')
  const left = (await execa(DOCKER, ['ps', '-a', '--filter', 'label=bastion.test.variant=no-kubectl', '--format', '{{.ID}}'])).stdout
  t.equal(left, '', 'no smoke-test container is left')

  // Given a name by hand, it still cannot be rolled out.
  const id = (await execa(DOCKER, ['images', '-q', '--no-trunc', '--filter', 'label=bastion.test.variant=no-kubectl'])).stdout.split('\n')[0] ?? ''
  await execa(DOCKER, ['tag', id, `${repository}:by-hand`])
  const rollout = await bastion(cfg, ['image', 'rollout', `${repository}:by-hand`])
  t.equal(rollout.exitCode, 1)
  t.match(rollout.stderr, /\(BASTION_ADMIN_IMAGE_SMOKE_FAILED\)$/m)
  t.equal(readFileSync(cfg, 'utf8'), before, 'a rollout by hand leaves shell.image unchanged too')
})

t.test('without toolbox.flavor a host builds the production Dockerfile; a test bed says offline', async (t) => {
  const prod = config('production-host', {})
  const p = await bastion(prod, ['image', 'build', '--context', join(dir, 'flavors')])
  t.equal(p.exitCode, 0, p.exitCode === 0 ? 'built' : p.stderr)
  t.match(imageIn(prod), new RegExp(`^${repository}:production-`))
  t.equal((await execa(DOCKER, ['image', 'inspect', '-f', '{{index .Config.Labels "bastion.test.flavor"}}', imageIn(prod)])).stdout, 'production')
  const bed = config('test-bed')
  const o = await bastion(bed, ['image', 'build', '--context', join(dir, 'flavors')])
  t.equal(o.exitCode, 0, o.exitCode === 0 ? 'built' : o.stderr)
  t.equal((await execa(DOCKER, ['image', 'inspect', '-f', '{{index .Config.Labels "bastion.test.flavor"}}', imageIn(bed)])).stdout, 'offline')
})
