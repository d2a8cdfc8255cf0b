// The real host context: the config loaded and checked, the paths under the root, the
// suite found, and the adapters the steps use.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostContext } from '../../src/setup/host.ts'
import { APP, CONFIG_TEXT, scratchDir } from './fixtures.ts'

t.test('from --config (or BASTION_CONFIG), with the root, the node and the users given', async (t) => {
  const dir = scratchDir(t)
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, CONFIG_TEXT)
  const ctx = await hostContext({ config, root: dir, node: '/usr/bin/node24', users: ['alice'] })
  t.equal(ctx.paths.config, config)
  t.equal(ctx.paths.app, APP)
  t.equal(ctx.paths.node, '/usr/bin/node24')
  t.equal(ctx.paths.shell.bin, join(dir, 'usr/local/bin/bastion-shell'))
  t.equal(ctx.paths.installed.bin, '/usr/local/bin/bastion-shell', 'setup installs the default instance')
  t.same(ctx.users, ['alice'])
  t.equal(ctx.config.proxy.metadataproxy.iptables.chainPrefix, 'BT-UNIT')
  t.equal(typeof ctx.systemd, 'boolean')
  t.equal(ctx.changed.size, 0)
  t.same(await ctx.writeKubeconfig({ dryRun: true }), [`write ${join(dir, 'etc/bastion/kube/config')} (0 contexts)`], 'the kubeconfig lands under the root')

  const fromEnv = await hostContext({}, { BASTION_CONFIG: config })
  t.equal(fromEnv.paths.root, '/')
  t.equal(fromEnv.paths.config, config)
  t.same(fromEnv.users, [])
  t.match(fromEnv.paths.node, /node/)
})

t.test('a config that is not there is refused before anything else', async (t) => {
  await t.rejects(hostContext({ config: join(scratchDir(t), 'none.yaml') }), { code: 'BASTION_ADMIN_HOST_CONFIG_INVALID' })
})
