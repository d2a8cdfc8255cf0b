// Where setup writes: everything under the root; the suite found from the code's own place.
import t from 'tap'
import { join } from 'node:path'
import { findAppRoot, hostPaths } from '../../src/setup/paths.ts'
import { APP } from './fixtures.ts'

t.test('every destination lies under the root; the config and the suite do not move', async (t) => {
  const p = hostPaths({ root: '/tmp/r/', app: '/opt/bastion/app', node: '/opt/bastion/node/bin/node', config: '/etc/bastion/x/../bastion.yaml' })
  t.equal(p.root, '/tmp/r')
  t.equal(p.config, '/etc/bastion/bastion.yaml')
  t.equal(p.app, '/opt/bastion/app')
  t.same([p.systemdDir, p.sshdConfig, p.sshdDropinDir, p.sshdDropin, p.usrLocal, p.shellBin, p.runner, p.sudoersDir, p.sudoers, p.shells], [
    '/tmp/r/etc/systemd/system', '/tmp/r/etc/ssh/sshd_config', '/tmp/r/etc/ssh/sshd_config.d', '/tmp/r/etc/ssh/sshd_config.d/bastion.conf',
    '/tmp/r/usr/local', '/tmp/r/usr/local/bin/bastion-shell', '/tmp/r/usr/local/libexec/bastion/shell-session', '/tmp/r/etc/sudoers.d',
    '/tmp/r/etc/sudoers.d/bastion-shell', '/tmp/r/etc/shells'])
  t.equal(hostPaths({ root: '/', app: '/a', node: '/n', config: '/c' }).shells, '/etc/shells')
})

t.test('relative paths are refused, naming the option', async (t) => {
  for (const [root, node, config, flag] of [['r', '/n', '/c', '--root'], ['/', 'node', '/c', '--node'], ['/', '/n', 'c.yaml', '--config']]) {
    t.throws(() => hostPaths({ root: root as string, app: '/a', node: node as string, config: config as string }), { code: 'BASTION_ADMIN_SETUP_USAGE', message: new RegExp(`^${flag} must be an absolute path`) })
  }
})

t.test('the suite is the checkout this code lives in; none above / is an error', async (t) => {
  t.equal(findAppRoot(), APP)
  t.equal(findAppRoot(join(APP, 'packages/admin/dist/src/setup')), APP)
  t.throws(() => findAppRoot('/usr/share'), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE' })
})
