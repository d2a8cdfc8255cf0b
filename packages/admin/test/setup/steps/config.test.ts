// Step `config`: the file and every directory above it must be root's alone.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkOwnership, configStep } from '../../../src/setup/steps/config.ts'
import { setupContext, scratchDir } from '../fixtures.ts'
import { hostPaths } from '../../../src/setup/paths.ts'

function tree (t: Parameters<typeof scratchDir>[0]): { dir: string, file: string } {
  const dir = scratchDir(t)
  chmodSync(dir, 0o755)
  mkdirSync(join(dir, 'etc'), { mode: 0o755 })
  const file = join(dir, 'etc/bastion.yaml')
  writeFileSync(file, 'x', { mode: 0o644 })
  return { dir, file }
}

t.test('a root-owned file in root-owned directories passes; /tmp counts as fine (sticky)', async (t) => {
  const { file } = tree(t)
  await checkOwnership(file)
  t.pass('no error')
})

t.test('a file or directory others can write, or that root does not own, is refused with the fix', async (t) => {
  const a = tree(t)
  chmodSync(a.file, 0o664)
  await t.rejects(checkOwnership(a.file), { code: 'BASTION_ADMIN_HOST_CONFIG_INSECURE', message: `${a.file} is writable by group or others, yet root runs what the config names; fix: chown root:root ${a.file} && chmod go-w ${a.file}` })
  const b = tree(t)
  chmodSync(join(b.dir, 'etc'), 0o777)
  await t.rejects(checkOwnership(b.file), { message: new RegExp(`^${join(b.dir, 'etc')} is writable by group or others`) })
  const c = tree(t)
  chownSync(c.file, 1234, 0)
  await t.rejects(checkOwnership(c.file), { message: new RegExp(`^${c.file} is not owned by root`) })
})

t.test("a symlink is judged by its target's path as well", async (t) => {
  const { dir, file } = tree(t)
  mkdirSync(join(dir, 'open'), { mode: 0o755 })
  chmodSync(join(dir, 'open'), 0o777)
  writeFileSync(join(dir, 'open/real.yaml'), 'x', { mode: 0o644 })
  symlinkSync(join(dir, 'open/real.yaml'), join(dir, 'etc/link.yaml'))
  await t.rejects(checkOwnership(join(dir, 'etc/link.yaml')), { message: /open is writable by group or others/ })
  symlinkSync(file, join(dir, 'etc/good.yaml'))
  await checkOwnership(join(dir, 'etc/good.yaml'))
})

t.test('the step checks the configured path and never reports a change', async (t) => {
  const { dir, file } = tree(t)
  const ctx = setupContext(dir, { paths: hostPaths({ root: dir, app: '/a', node: '/n', config: file }) })
  t.same(await configStep.plan(ctx), [])
  t.same(await configStep.apply(ctx), [])
  chmodSync(file, 0o666)
  await t.rejects(configStep.plan(ctx), { code: 'BASTION_ADMIN_HOST_CONFIG_INSECURE' })
})
