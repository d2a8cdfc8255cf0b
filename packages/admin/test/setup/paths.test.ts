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
  t.same([p.systemdDir, p.sshdConfig, p.sshdDropinDir, p.sshdDropin, p.usrLocal, p.libexecDir, p.shells], [
    '/tmp/r/etc/systemd/system', '/tmp/r/etc/ssh/sshd_config', '/tmp/r/etc/ssh/sshd_config.d', '/tmp/r/etc/ssh/sshd_config.d/bastion.conf',
    '/tmp/r/usr/local', '/tmp/r/usr/local/libexec/bastion', '/tmp/r/etc/shells'])
  t.same(p.shell, {
    bin: '/tmp/r/usr/local/bin/bastion-shell',
    client: '/tmp/r/usr/local/libexec/bastion/bastion-shell-client',
    agent: '/tmp/r/usr/local/libexec/bastion/bastion-agent',
    broker: '/tmp/r/usr/local/libexec/bastion/shell-broker',
    legacyRunner: '/tmp/r/usr/local/libexec/bastion/shell-session',
    legacySudoers: '/tmp/r/etc/sudoers.d/bastion-shell'
  })
  t.same(Object.values(p.installed), Object.values(p.shell).map((f) => f.slice('/tmp/r'.length)), 'the same files as the host names them')
  t.equal(p.instance, '')
  t.equal(hostPaths({ root: '/', app: '/a', node: '/n', config: '/c' }).shells, '/etc/shells')
})

t.test("another instance's files end in -NAME, as install.sh --instance names them", async (t) => {
  const p = hostPaths({ root: '/', app: '/a', node: '/n', config: '/c', instance: 'testbed' })
  t.equal(p.instance, 'testbed')
  t.same(Object.values(p.installed), ['/usr/local/bin/bastion-shell-testbed', '/usr/local/libexec/bastion/bastion-shell-client-testbed',
    '/usr/local/libexec/bastion/bastion-agent-testbed', '/usr/local/libexec/bastion/shell-broker-testbed',
    '/usr/local/libexec/bastion/shell-session-testbed', '/etc/sudoers.d/bastion-shell-testbed'])
  for (const bad of ['Testbed', '1st', 'a/b', 'toolongforaninstance']) {
    t.throws(() => hostPaths({ root: '/', app: '/a', node: '/n', config: '/c', instance: bad }), { code: 'BASTION_ADMIN_SETUP_USAGE', message: /^--instance must be/ }, bad)
  }
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
