// install.sh's trusted() rule, asked before setup plans or runs the shell step: the login
// path's files and every directory above them root's alone, as the namespace shows them.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { refuseUntrusted } from '../../src/setup/trusted.ts'
import { hostPaths, type HostPaths } from '../../src/setup/paths.ts'
import { APP, scratchDir } from './fixtures.ts'

function root (t: Parameters<typeof scratchDir>[0]): HostPaths {
  const paths = hostPaths({ root: scratchDir(t), app: APP, node: '/n', config: '/c' })
  for (const f of [paths.shell.bin, paths.shell.client, paths.shell.agent, paths.shell.broker]) {
    mkdirSync(dirname(f), { recursive: true, mode: 0o755 })
    writeFileSync(f, 'x', { mode: 0o755 })
  }
  return paths
}

const insecure = (path: string, why: string) => ({ code: 'BASTION_ADMIN_SETUP_FILE_INSECURE', message: `${path} ${why}, yet it is part of the login path` })

t.test('nothing installed yet, or all of it root\'s alone: nothing to refuse', async (t) => {
  await t.resolves(refuseUntrusted(hostPaths({ root: scratchDir(t), app: APP, node: '/n', config: '/c' })))
  const paths = root(t)
  chmodSync(paths.shell.broker, 0o700)
  await t.resolves(refuseUntrusted(paths), 'a mode install.sh only repairs')
})

t.test('a file writable by others, or owned by someone else, is refused', async (t) => {
  const paths = root(t)
  chmodSync(paths.shell.agent, 0o757)
  await t.rejects(refuseUntrusted(paths), insecure(paths.shell.agent, 'is writable by group or others'))
  chmodSync(paths.shell.agent, 0o755)
  chownSync(paths.shell.bin, 1234, 0)
  await t.rejects(refuseUntrusted(paths), insecure(paths.shell.bin, 'is not owned by root'))
})

t.test("a directory above: refused, but for install.sh's own (it repairs that first) and a sticky one", async (t) => {
  const paths = root(t)
  chmodSync(paths.libexecDir, 0o777)
  await t.resolves(refuseUntrusted(paths), "install.sh's own directory")
  chmodSync(join(paths.usrLocal, 'bin'), 0o1777)
  await t.resolves(refuseUntrusted(paths), 'sticky')
  chmodSync(join(paths.usrLocal, 'bin'), 0o775)
  await t.rejects(refuseUntrusted(paths), insecure(join(paths.usrLocal, 'bin'), 'is writable by group or others'))
})

t.test('a symlink is judged by what it points to', async (t) => {
  const paths = root(t)
  const elsewhere = join(paths.root, 'home/mallory')
  mkdirSync(elsewhere, { recursive: true, mode: 0o755 })
  writeFileSync(join(elsewhere, 'client'), 'x', { mode: 0o755 })
  chownSync(elsewhere, 1234, 1234)
  rmSync(paths.shell.client)
  symlinkSync(join(elsewhere, 'client'), paths.shell.client)
  await t.rejects(refuseUntrusted(paths), insecure(elsewhere, 'is not owned by root'))
})
