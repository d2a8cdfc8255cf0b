// The config as every component sees it: one refusal lists each component's problems.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadHostConfig, parseHostConfig } from '../../src/setup/config.ts'
import { APP, CONFIG_TEXT, scratchDir } from './fixtures.ts'

t.test('a valid file gives the proxy, shell and clusters views with defaults', async (t) => {
  const c = parseHostConfig(CONFIG_TEXT, '/x.yaml')
  t.equal(c.path, '/x.yaml')
  t.equal(c.proxy.metadataproxy.iptables.chainPrefix, 'BT-UNIT')
  t.equal(c.proxy.metadataproxy.admin.port, 8776)
  t.equal(c.shell.shell.allowedGroup, 'bt-unit-users')
  t.same(c.clusters, [])
  t.equal(c.shell.toolbox.repository, 'bastion/toolbox', "the toolbox section's defaults")
  t.equal(c.text, CONFIG_TEXT)
})

t.test("the suite's example config is valid for every component", async (t) => {
  const c = parseHostConfig(readFileSync(join(APP, 'etc/bastion.example.yaml'), 'utf8'), 'example')
  t.equal(c.shell.shell.image.length > 0, true)
})

t.test("each component's problems are listed, with key paths", async (t) => {
  const clusters = (() => { try { parseHostConfig('aws: { accountId: "123456789012" }\nclusters: [{ name: a, region: eu-west-1, endpoint: "https://x" }]\n', '/c.yaml') } catch (e) { return e as Error } })()
  t.match(clusters?.message, /for the login shell, toolbox and clusters: .*clusters\.0: endpoint and certificateAuthority go together/s)
  const text = 'aws: { accountId: "1" }\nshell: { limits: { pids: 1 } }\nclusters: [{ name: a, region: eu-west-1, endpoint: "https://x" }]\n'
  const err = (() => { try { parseHostConfig(text, '/c.yaml') } catch (e) { return e as Error & { code: string } } })()
  t.equal(err?.code, 'BASTION_ADMIN_HOST_CONFIG_INVALID')
  t.match(err?.message, /^\/c\.yaml is not a valid bastion config:/)
  t.match(err?.message, /for the metadata proxy: .*aws\.accountId/s)
  t.match(err?.message, /for the login shell, toolbox and clusters: .*shell\.limits\.pids/s)
})

t.test('an unreadable file is an error naming it', async (t) => {
  const dir = scratchDir(t)
  await t.rejects(loadHostConfig(join(dir, 'none.yaml')), { code: 'BASTION_ADMIN_HOST_CONFIG_INVALID', message: /cannot read the config file .*none\.yaml/ })
  writeFileSync(join(dir, 'c.yaml'), CONFIG_TEXT)
  t.equal((await loadHostConfig(join(dir, 'c.yaml'))).proxy.network.bridge, 'btunit0')
})
