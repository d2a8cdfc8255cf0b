// What a build is made from, and its hash: any change to the Dockerfile directory, the
// build arguments or the binaries the offline build copies in (k9s, kubectl) changes it;
// nothing else does.
import t, { type Test } from 'tap'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseToolboxConfig } from '../../src/image/config.ts'
import { buildInputs, stageContext, suiteContext } from '../../src/image/inputs.ts'

const SUITE_CONTEXT = fileURLToPath(new URL('../../../../images/toolbox', import.meta.url))

function fixture (t: Test): { dir: string, toolbox: ReturnType<typeof parseToolboxConfig>['toolbox'] } {
  const dir = t.testdir({ ctx: { Dockerfile: 'FROM x\n', 'Dockerfile.offline': 'FROM y\n', rootfs: { etc: { motd: 'hi\n' } } }, k9s: 'ELF k9s', kubectl: 'ELF kubectl' })
  chmodSync(join(dir, 'k9s'), 0o755)
  chmodSync(join(dir, 'kubectl'), 0o755)
  return { dir, toolbox: parseToolboxConfig(`toolbox:\n  context: ${dir}/ctx\n  offline:\n    k9s: ${dir}/k9s\n    kubectl: ${dir}/kubectl\n`).toolbox }
}

t.test('the suite\'s own images/toolbox is found from the source tree', async (t) => {
  t.equal(suiteContext(), SUITE_CONTEXT)
  t.equal(suiteContext('/nonexistent/a/b.js'), undefined)
})

t.test('offline: Dockerfile.offline, the base image as BASE, and the k9s and kubectl binaries', async (t) => {
  const { dir, toolbox } = fixture(t)
  const i = await buildInputs(toolbox, 'offline')
  t.same([i.dockerfile, i.buildArgs, i.binaries, i.context], ['Dockerfile.offline', { BASE: 'bastion/debian:bookworm' }, { k9s: join(dir, 'k9s'), kubectl: join(dir, 'kubectl') }, join(dir, 'ctx')])
  t.match(i.hash, /^sha256:[0-9a-f]{64}$/)
})

t.test('production: the Dockerfile, no binaries copied in, BASE only when configured', async (t) => {
  const { dir, toolbox } = fixture(t)
  const i = await buildInputs(toolbox, 'production')
  t.same([i.dockerfile, i.buildArgs, i.binaries], ['Dockerfile', {}, {}])
  const based = parseToolboxConfig(`toolbox:\n  context: ${dir}/ctx\n  production:\n    base: mirror/debian@sha256:${'1'.repeat(64)}\n`).toolbox
  t.same((await buildInputs(based, 'production')).buildArgs, { BASE: `mirror/debian@sha256:${'1'.repeat(64)}` })
})

t.test('the hash is stable, and changes with any file, a mode, the k9s or kubectl binary, the flavor or the base', async (t) => {
  const { dir, toolbox } = fixture(t)
  const base = (await buildInputs(toolbox, 'offline')).hash
  t.equal((await buildInputs(toolbox, 'offline')).hash, base, 'stable')
  const changes: Array<[string, () => void, () => void]> = [
    ['a file', () => writeFileSync(join(dir, 'ctx', 'rootfs', 'etc', 'motd'), 'ho\n'), () => writeFileSync(join(dir, 'ctx', 'rootfs', 'etc', 'motd'), 'hi\n')],
    ['a new file', () => writeFileSync(join(dir, 'ctx', 'extra'), ''), () => {}],
    ['a mode', () => chmodSync(join(dir, 'ctx', 'Dockerfile'), 0o755), () => chmodSync(join(dir, 'ctx', 'Dockerfile'), 0o644)],
    ['k9s', () => writeFileSync(join(dir, 'k9s'), 'ELF k9s v2'), () => writeFileSync(join(dir, 'k9s'), 'ELF k9s')],
    ['kubectl', () => writeFileSync(join(dir, 'kubectl'), 'ELF kubectl v2'), () => writeFileSync(join(dir, 'kubectl'), 'ELF kubectl')]
  ]
  const seen = new Set([base])
  for (const [what, change, undo] of changes) {
    change()
    const h = (await buildInputs(toolbox, 'offline')).hash
    t.notOk(seen.has(h), what)
    seen.add(h)
    undo()
  }
  t.not((await buildInputs(toolbox, 'production')).hash, base, 'the flavor')
  const otherBase = parseToolboxConfig(`toolbox:\n  context: ${dir}/ctx\n  offline:\n    k9s: ${dir}/k9s\n    kubectl: ${dir}/kubectl\n    base: other/debian:12\n`).toolbox
  t.not((await buildInputs(otherBase, 'offline')).hash, base, 'the base image')
})

t.test('a missing Dockerfile, k9s or kubectl binary is CONTEXT_MISSING, naming what and where', async (t) => {
  const { dir, toolbox } = fixture(t)
  await t.rejects(buildInputs(toolbox, 'offline', join(dir, 'nowhere')), { code: 'BASTION_ADMIN_IMAGE_CONTEXT_MISSING', message: /nowhere\/Dockerfile\.offline does not exist/ })
  const noK9s = parseToolboxConfig(`toolbox:\n  context: ${dir}/ctx\n  offline:\n    k9s: ${dir}/absent-k9s\n    kubectl: ${dir}/kubectl\n`).toolbox
  await t.rejects(buildInputs(noK9s, 'offline'), { code: 'BASTION_ADMIN_IMAGE_CONTEXT_MISSING', message: /copies in k9s from .*absent-k9s.*ENOENT.*github\.com\/derailed\/k9s.*toolbox\.offline\.k9s.*--production/ })
  const noKubectl = parseToolboxConfig(`toolbox:\n  context: ${dir}/ctx\n  offline:\n    k9s: ${dir}/k9s\n    kubectl: ${dir}/absent-kubectl\n`).toolbox
  await t.rejects(buildInputs(noKubectl, 'offline'), { code: 'BASTION_ADMIN_IMAGE_CONTEXT_MISSING', message: /copies in kubectl from .*absent-kubectl.*ENOENT.*k8s\.io\/kubernetes\/cmd\/kubectl.*toolbox\.offline\.kubectl/ })
  chmodSync(join(dir, 'k9s'), 0o644)
  await t.rejects(buildInputs(toolbox, 'offline'), { message: /EACCES/ })
  t.ok((await buildInputs(toolbox, 'production')).hash, 'production needs no k9s')
})

t.test('the staged context is a copy with k9s and kubectl in it, removed by cleanup', async (t) => {
  const { dir, toolbox } = fixture(t)
  const staged = await stageContext(await buildInputs(toolbox, 'offline'))
  t.equal(readFileSync(join(staged.dir, 'k9s'), 'utf8'), 'ELF k9s')
  t.equal(readFileSync(join(staged.dir, 'kubectl'), 'utf8'), 'ELF kubectl')
  t.equal(readFileSync(join(staged.dir, 'rootfs', 'etc', 'motd'), 'utf8'), 'hi\n')
  t.notOk(existsSync(join(dir, 'ctx', 'k9s')), 'the source is not written to')
  await staged.cleanup()
  t.notOk(existsSync(staged.dir))
  const gone = await buildInputs(toolbox, 'offline')
  await t.rejects(stageContext({ ...gone, context: join(dir, 'vanished') }), { code: 'BASTION_ADMIN_IMAGE_CONTEXT_MISSING', message: /cannot copy/ })
})
