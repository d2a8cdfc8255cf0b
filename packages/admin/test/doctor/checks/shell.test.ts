// Check `shell`: the login shell names the configured broker socket; it, the client, the
// agent and the broker's wrapper are root's alone; shell.agent.path is that agent; no
// sudoers rule is left. One problem line per finding, each with its fix.
import t from 'tap'
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { shellCheck } from '../../../src/doctor/checks/shell.ts'
import { hostPaths } from '../../../src/setup/paths.ts'
import { APP, CONFIG_TEXT, hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

type Ctx = ReturnType<typeof doctorContext>

// install.sh's four files, root's and mode 755, the login shell naming `socket`.
function installed (ctx: Ctx, socket = '/run/bastion/shell/broker.sock'): Ctx {
  for (const key of ['bin', 'client', 'agent', 'broker'] as const) {
    const path = ctx.paths.shell[key]
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 })
    writeFileSync(path, key === 'bin' ? `#!/bin/sh\nclient=${ctx.paths.installed.client}\nbroker=${ctx.paths.installed.broker}\nsocket=${socket}\n` : `${key}\n`)
    chmodSync(path, 0o755)
  }
  return ctx
}

const run = (ctx: Ctx) => shellCheck.run(ctx)

t.test('as install.sh left it for this config: ok, naming the socket', async (t) => {
  const ctx = installed(doctorContext(scratchDir(t)))
  t.same(await run(ctx), { status: 'ok', detail: "/usr/local/bin/bastion-shell connects to /run/bastion/shell/broker.sock; it, the client, the agent and the broker's wrapper are root's alone; no sudoers rule is left" })
})

t.test('a login shell for another run directory, or from before the broker: the fix reinstalls for the configured one', async (t) => {
  const ctx = installed(doctorContext(scratchDir(t)), '/run/elsewhere/broker.sock')
  t.same(await run(ctx), {
    status: 'problems',
    problems: [{
      problem: 'the login shell /usr/local/bin/bastion-shell connects to /run/elsewhere/broker.sock, but shell.broker.runDir puts the broker at /run/bastion/shell/broker.sock, so logins fail',
      fix: 'bastion setup shell (it installs for --run-dir /run/bastion/shell), then systemctl restart bastion-shell-broker'
    }]
  })
  writeFileSync(ctx.paths.shell.bin, '#!/bin/sh\nexec sudo -n /usr/local/libexec/bastion/shell-session "$@"\n')
  t.match(await run(ctx), { problems: [{ problem: /connects to no broker socket \(it is from before the session broker\)/ }] })
})

t.test('a missing file, or a directory in its place: one line each, the fix reinstalls', async (t) => {
  const ctx = installed(doctorContext(scratchDir(t)))
  rmSync(ctx.paths.shell.agent)
  rmSync(ctx.paths.shell.client)
  mkdirSync(ctx.paths.shell.client)
  t.same(await run(ctx), {
    status: 'problems',
    problems: [
      { problem: `${ctx.paths.shell.client} is not a regular file, and every user's login runs it`, fix: 'bastion setup shell' },
      { problem: `${ctx.paths.shell.agent} is missing, and every user's container runs it as that user`, fix: 'bastion setup shell' }
    ]
  })
})

t.test('a file or a directory that someone but root can change: one line each, with chown and chmod', async (t) => {
  const ctx = installed(doctorContext(scratchDir(t)))
  chmodSync(ctx.paths.shell.client, 0o775)
  chownSync(ctx.paths.shell.agent, 1234, 0)
  chmodSync(ctx.paths.libexecDir, 0o777)
  const f = await run(ctx)
  t.same(f, {
    status: 'problems',
    problems: [
      { problem: `${ctx.paths.shell.client} can be replaced by someone other than root (owner uid 0, mode 775), yet every user's login runs it`, fix: `chown root:root ${ctx.paths.shell.client} && chmod go-w ${ctx.paths.shell.client}, then find out who changed it` },
      { problem: `${ctx.paths.shell.agent} can be replaced by someone other than root (owner uid 1234, mode 755), yet every user's container runs it as that user`, fix: `chown root:root ${ctx.paths.shell.agent} && chmod go-w ${ctx.paths.shell.agent}, then find out who changed it` },
      { problem: `${ctx.paths.libexecDir} lets someone other than root replace what is in it (owner uid 0, mode 777), yet root runs it`, fix: `chown root:root ${ctx.paths.libexecDir} && chmod go-w ${ctx.paths.libexecDir}, then find out who changed it` }
    ]
  }, 'the directory is one line, not one per file in it')
  chmodSync(ctx.paths.shell.client, 0o755)
  chownSync(ctx.paths.shell.agent, 0, 0)
  chmodSync(ctx.paths.libexecDir, 0o1777)
  t.equal((await run(ctx)).status, 'ok', 'a sticky directory lets no one replace what root owns in it')
  chownSync(ctx.paths.libexecDir, 1234, 0)
  t.match(await run(ctx), { problems: [{ problem: /lets someone other than root replace what is in it \(owner uid 1234, mode 1777\)/ }] }, 'unless someone else owns it')
})

t.test('shell.agent.path naming another binary than the installed agent', async (t) => {
  const config = hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', 'allowedGroup: bt-unit-users, agent: { path: /opt/agent } }'))
  const ctx = installed(doctorContext(scratchDir(t), { config }))
  t.same(await run(ctx), {
    status: 'problems',
    problems: [{
      problem: 'shell.agent.path is /opt/agent, not the agent install.sh installs (/usr/local/libexec/bastion/bastion-agent), so containers run another binary or none',
      fix: 'set shell.agent.path to /usr/local/libexec/bastion/bastion-agent (its default: leave it out), then systemctl restart bastion-shell-broker'
    }]
  })
})

t.test("the old path's sudoers rule left behind: a problem, which setup removes", async (t) => {
  const ctx = installed(doctorContext(scratchDir(t)))
  mkdirSync(dirname(ctx.paths.shell.legacySudoers), { recursive: true })
  writeFileSync(ctx.paths.shell.legacySudoers, 'ALL ALL=(root) NOPASSWD: /usr/local/libexec/bastion/shell-session\n')
  t.same(await run(ctx), {
    status: 'problems',
    problems: [{
      problem: `${ctx.paths.shell.legacySudoers}, the sudoers rule of the old sudo-based login path, is still there, a way to root that nothing needs`,
      fix: 'bastion setup shell (it removes the rule and the old shell-session runner)'
    }]
  })
})

t.test("another instance: its own files, its agent path, and install.sh's --instance as the fix", async (t) => {
  const root = scratchDir(t)
  const config = hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', 'allowedGroup: bt-unit-users, broker: { runDir: /run/bt/shell }, agent: { path: /usr/local/libexec/bastion/bastion-agent-testbed } }'))
  const ctx = installed(doctorContext(root, { config, paths: hostPaths({ root, app: APP, node: '/n', config: '/c', instance: 'testbed' }) }), '/run/bt/shell/broker.sock')
  t.same(await run(ctx), { status: 'ok', detail: "/usr/local/bin/bastion-shell-testbed connects to /run/bt/shell/broker.sock; it, the client, the agent and the broker's wrapper are root's alone; no sudoers rule is left" })
  rmSync(ctx.paths.shell.broker)
  t.same(await run(ctx), { status: 'problems', problems: [{ problem: `${root}/usr/local/libexec/bastion/shell-broker-testbed is missing, and root runs it`, fix: 'packages/shell/host/install.sh --instance testbed (as for the first install)' }] })
})
