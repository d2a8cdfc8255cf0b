// Step `units`: the suite's units, naming this suite, Node and config, written only when
// they differ; systemd reloaded only on the host's own running systemd.
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unitsStep, wantedUnits } from '../../../src/setup/steps/units.ts'
import { hostPaths, type HostPaths } from '../../../src/setup/paths.ts'
import { APP, setupContext, scratchDir } from '../fixtures.ts'

t.test('the shipped units, with the real locations in place of the shipped defaults', async (t) => {
  const root = scratchDir(t)
  const units = await wantedUnits(setupContext(root, { paths: hostPaths({ root, app: APP, node: '/usr/local/node24/bin/node', config: '/srv/etc/b.yaml' }) }))
  t.same(units.map((u) => u.path.slice(root.length)), ['/etc/systemd/system/bastion-imds-firewall.service', '/etc/systemd/system/bastion-metadataproxy.service',
    '/etc/systemd/system/bastion-shell-broker.service', '/etc/systemd/system/bastion-shell-gc.service', '/etc/systemd/system/bastion-shell-gc.timer',
    '/etc/systemd/system/bastion-ship.service', '/etc/systemd/system/bastion-users-sync.service', '/etc/systemd/system/bastion-users-sync.timer'])
  const proxy = units[1]?.content ?? ''
  t.match(proxy, `ExecStart=/usr/local/node24/bin/node ${APP}/packages/metadataproxy/dist/bin/bastion-metadataproxy.js serve`)
  t.match(proxy, 'Environment=BASTION_CONFIG=/srv/etc/b.yaml')
  t.notMatch(proxy, '/opt/bastion/')
  t.ok(units.every((u) => u.mode === 0o644))
  const broker = units[2]?.content as string
  t.match(broker, /^ExecStart=\/usr\/local\/libexec\/bastion\/shell-broker serve$/m, "the broker's unit runs install.sh's wrapper, which names Node, the suite and the config")
  t.match(broker, /^KillMode=process$/m, 'a restart leaves live sessions running')
  const ship = units[5]?.content as string
  t.match(ship, `ExecStart=/usr/local/node24/bin/node ${APP}/packages/admin/dist/bin/bastion.js ship`)
  t.match(ship, 'Environment=BASTION_CONFIG=/srv/etc/b.yaml')
  const users = units[6]?.content as string
  t.match(users, `ExecStart=/usr/local/node24/bin/node ${APP}/packages/admin/dist/bin/bastion.js users sync`)
  t.match(users, 'Environment=BASTION_CONFIG=/srv/etc/b.yaml')
  t.match(units[7]?.content, /^OnUnitActiveSec=60s$/m, 'the users sync runs every minute')
})

t.test('at the default locations the units are the shipped files, byte for byte', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root, { paths: hostPaths({ root, app: '/opt/bastion/app', node: '/opt/bastion/node/bin/node', config: '/etc/bastion/bastion.yaml' }) })
  // Read the sources from this checkout, but name the default app directory.
  const fake = scratchDir(t)
  for (const rel of ['packages/metadataproxy/systemd', 'packages/shell/systemd', 'packages/admin/systemd']) {
    mkdirSync(join(fake, rel), { recursive: true })
    for (const n of readdirSync(join(APP, rel))) writeFileSync(join(fake, rel, n), readFileSync(join(APP, rel, n)))
  }
  const units = await wantedUnits({ ...ctx, paths: { ...ctx.paths, app: fake } })
  const shipped = readFileSync(join(APP, 'packages/metadataproxy/systemd/bastion-metadataproxy.service'), 'utf8')
  t.equal(units[1]?.content, shipped.replaceAll('/opt/bastion/app', fake))
})

t.test('plan lists the files to write; apply writes them; then both find nothing', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  const plan = await unitsStep.plan(ctx)
  t.equal(plan.length, 8)
  t.ok(plan.every((p) => p.startsWith(`create ${root}/etc/systemd/system/`)))
  t.same((await unitsStep.apply(ctx)).map((c) => c.replace(root, '')), plan.map((p) => p.replace('create', 'wrote').replace(root, '')))
  t.same(await unitsStep.plan(ctx), [])
  t.same(await unitsStep.apply(ctx), [])
  t.same(ctx.exec.calls, [], 'no systemctl in a root, or without systemd')
})

t.test("systemd is reloaded after a change only when it runs and the root is the host's", async (t) => {
  const root = scratchDir(t)
  const paths: HostPaths = { ...hostPaths({ root, app: APP, node: '/n', config: '/c' }), root: '/' }
  const ctx = setupContext(root, { paths, systemd: true })
  ctx.exec.handlers.push((cmd) => cmd === 'systemctl' ? { exitCode: 0, stdout: '', stderr: '' } : undefined)
  t.match(await unitsStep.plan(ctx), ['create', 'create', 'create', 'create', 'create', 'create', 'create', 'create', 'reload systemd (systemctl daemon-reload)'].map((w) => new RegExp(`^${w.replace(/[()]/g, '\\$&')}`)))
  const done = await unitsStep.apply(ctx)
  t.equal(done.at(-1), 'reloaded systemd (systemctl daemon-reload)')
  t.same(ctx.exec.calls, [['systemctl', 'daemon-reload']])
  t.same(await unitsStep.apply(ctx), [])
  t.equal(ctx.exec.calls.length, 1, 'no reload when nothing changed')
  writeFileSync(join(root, 'etc/systemd/system/bastion-shell-gc.timer'), 'edited')
  t.same(await unitsStep.apply(ctx), [`updated ${root}/etc/systemd/system/bastion-shell-gc.timer`, 'reloaded systemd (systemctl daemon-reload)'])
})

t.test('a suite without its units is APP_INCOMPLETE', async (t) => {
  const root = scratchDir(t)
  const ctx = setupContext(root)
  await t.rejects(unitsStep.plan({ ...ctx, paths: { ...ctx.paths, app: root } }), { code: 'BASTION_ADMIN_SETUP_APP_INCOMPLETE', message: /systemd units in .*packages\/metadataproxy\/systemd/ })
})
