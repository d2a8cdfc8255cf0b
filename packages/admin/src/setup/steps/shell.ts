// Step `shell`: bastion-shell's host side (the login shell, its Go client, the agent that
// every container runs, the root-owned wrapper of the session broker, the /etc/shells
// entry) and the sshd drop-in, all installed by packages/shell/host/install.sh, the same
// script the test bed runs, so the two can never disagree. install.sh also removes what
// the sudo-based login path of earlier versions left (the sudoers rule and the
// shell-session runner). It knows only the host's own paths; under a --root it runs in a
// private mount namespace where /usr/local and /etc/shells are the root's and the host's
// /etc/sudoers.d, if it has one, is hidden by an empty tmpfs; the root's own legacy
// sudoers rule is removed by this step, so nothing depends on whether the host has sudo.
//
// plan() reads what install.sh would write from the same sources it copies and compares;
// the integration suite checks that plan() finds nothing right after install.sh ran and
// finds every file it tampers with.
import { lstat, readFile, realpath, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runOk } from '../exec.ts'
import { diffFile, ensureDirs, putFile, type WantedFile } from '../files.ts'
import { setupError } from '../errors.ts'
import { refuseUntrusted } from '../trusted.ts'
import type { SetupContext, Step } from '../context.ts'

export const DROPIN_CHANGED = 'sshd drop-in'
export const BROKER_UNIT = 'bastion-shell-broker.service'
const RESTART = `the session broker (systemctl try-restart ${BROKER_UNIT})`

const installScript = (ctx: SetupContext): string => join(ctx.paths.app, 'packages/shell/host/install.sh')
const runDir = (ctx: SetupContext): string => ctx.config.shell.shell.broker.runDir

async function source (ctx: SetupContext, rel: string): Promise<Buffer> {
  try {
    return await readFile(join(ctx.paths.app, 'packages/shell', rel))
  } catch (err) {
    const hint = rel.startsWith('dist/') ? ' (build the suite: npm run build, which needs Go)' : ''
    throw setupError('BASTION_ADMIN_SETUP_APP_INCOMPLETE', `the suite's packages/shell/${rel} is missing${hint}: ${(err as Error).message}`, err)
  }
}

// What install.sh installs, as files, with its sed edits made the same way: the broker's
// wrapper names this config, Node, suite (as `pwd -P` prints it) and run directory; the
// login shell names the client, the wrapper and <run dir>/broker.sock as installed.
export async function wantedShellFiles (ctx: SetupContext): Promise<WantedFile[]> {
  const root = await realpath(ctx.paths.app)
  const { shell, installed } = ctx.paths
  const wrapper = (await source(ctx, 'host/shell-broker.in')).toString('utf8')
    .replaceAll('@CONFIG@', ctx.paths.config).replaceAll('@NODE@', ctx.paths.node).replaceAll('@ROOT@', root).replaceAll('@RUNDIR@', runDir(ctx))
  const login = (await source(ctx, 'host/bastion-shell')).toString('utf8')
    .replace(/^client=.*$/gm, () => `client=${installed.client}`)
    .replace(/^broker=.*$/gm, () => `broker=${installed.broker}`)
    .replace(/^socket=.*$/gm, () => `socket=${runDir(ctx)}/broker.sock`)
  return [
    { path: shell.client, content: await source(ctx, 'dist/native/bastion-shell-client'), mode: 0o755 },
    { path: shell.agent, content: await source(ctx, 'dist/native/bastion-agent'), mode: 0o755 },
    { path: shell.broker, content: wrapper, mode: 0o755 },
    { path: shell.bin, content: login, mode: 0o755 },
    { path: ctx.paths.sshdDropin, content: await shippedDropin(ctx), mode: 0o644 }
  ]
}

// The sshd drop-in as the suite ships it (and install.sh copies it).
export async function shippedDropin (ctx: SetupContext): Promise<string> {
  return (await source(ctx, 'sshd/bastion.conf')).toString('utf8')
}

async function dirChange (path: string): Promise<string | undefined> {
  try {
    const st = await lstat(path)
    if (st.isDirectory() && st.uid === 0 && st.gid === 0 && (st.mode & 0o7777) === 0o755) return undefined
    return `set owner root:root and mode 755 on ${path}`
  } catch {
    return `create ${path}`
  }
}

async function listed (ctx: SetupContext): Promise<boolean> {
  try {
    return (await readFile(ctx.paths.shells, 'utf8')).split('\n').includes(ctx.paths.installed.bin)
  } catch {
    return false
  }
}

// Only the host's own systemd, and only when it runs (never in a --root or a container).
const restarts = (ctx: SetupContext): boolean => ctx.systemd && ctx.paths.root === '/'

export const shellStep: Step = {
  name: 'shell',
  summary: "bastion-shell as a login shell: /usr/local/bin/bastion-shell, its Go client, the containers' agent, the session broker's wrapper, /etc/shells, the sshd drop-in (host/install.sh)",
  async plan (ctx) {
    await refuseUntrusted(ctx.paths)
    const changes: string[] = []
    // /usr/local/libexec is created when missing and otherwise left as it is.
    if (!(await exists(dirname(ctx.paths.libexecDir)))) changes.push(`create ${dirname(ctx.paths.libexecDir)}`)
    for (const dir of [ctx.paths.libexecDir, ctx.paths.sshdDropinDir]) {
      const change = await dirChange(dir)
      if (change !== undefined) changes.push(change)
    }
    let wrapperChanges = false
    for (const file of await wantedShellFiles(ctx)) {
      const change = await diffFile(file)
      if (change === undefined) continue
      changes.push(change)
      if (file.path === ctx.paths.shell.broker && !change.startsWith('set owner')) wrapperChanges = true
    }
    for (const legacy of [ctx.paths.shell.legacySudoers, ctx.paths.shell.legacyRunner]) {
      if (await exists(legacy)) changes.push(`remove ${legacy}`)
    }
    if (!(await listed(ctx))) changes.push(`add ${ctx.paths.installed.bin} to ${ctx.paths.shells}`)
    if (wrapperChanges && restarts(ctx)) changes.push(`restart ${RESTART}`)
    return changes
  },
  async apply (ctx) {
    await refuseUntrusted(ctx.paths)
    const changes = ctx.paths.root === '/' ? [] : await prepareRoot(ctx)
    const args = ['--root', ctx.paths.app, '--node', ctx.paths.node, '--config', ctx.paths.config, '--run-dir', runDir(ctx), '--sshd-dropin', ctx.paths.sshdDropinDir]
    // install.sh removes the legacy rule in the /etc/sudoers.d it sees. A --root run must
    // never touch the host's, so the host's is hidden whenever it exists (a fresh host
    // without sudo has none), and the root's rule was removed above.
    const r = ctx.paths.root === '/'
      ? await runOk(ctx.exec, installScript(ctx), args)
      : await runOk(ctx.exec, 'unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-ec',
        'mount --bind "$1" /usr/local; mount --bind "$2" /etc/shells; [ ! -d /etc/sudoers.d ] || mount -t tmpfs -o size=64k,mode=755 bastion-masked /etc/sudoers.d; shift 2; exec "$@"',
        'sh', ctx.paths.usrLocal, ctx.paths.shells, installScript(ctx), ...args])
    const done = r.stdout.split('\n').map((l) => /^bastion-shell install: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined)
      .map((l) => inRoot(ctx, l))
    if (done.some((l) => l.includes(ctx.paths.sshdDropin))) ctx.changed.add(DROPIN_CHANGED)
    // A new wrapper (run directory, Node, suite or config) takes a restart to apply, as a
    // new drop-in takes sshd's reload. Live sessions survive it (KillMode=process); a
    // stopped broker stays stopped: starting it is Chef's, or the operator's.
    if (done.includes(`wrote ${ctx.paths.shell.broker}`) && restarts(ctx)) {
      await runOk(ctx.exec, 'systemctl', ['try-restart', BROKER_UNIT])
      done.push(`restarted ${RESTART}`)
    }
    return [...changes, ...done]
  }
}

// The mount points install.sh's paths need inside a --root (/usr/local/bin, where it
// writes through a temporary file, and /etc/shells), and the root's legacy sudoers rule,
// which install.sh cannot see from inside the namespace.
async function prepareRoot (ctx: SetupContext): Promise<string[]> {
  const changes: string[] = []
  const bin = join(ctx.paths.usrLocal, 'bin')
  if (!(await exists(bin))) {
    await ensureDirs(bin)
    changes.push(`created ${bin}`)
  }
  if (!(await exists(ctx.paths.shells))) {
    const change = await putFile({ path: ctx.paths.shells, content: '', mode: 0o644 })
    if (change !== undefined) changes.push(change)
  }
  if (await exists(ctx.paths.shell.legacySudoers)) {
    await rm(ctx.paths.shell.legacySudoers, { force: true })
    changes.push(`removed ${ctx.paths.shell.legacySudoers}`)
  }
  return changes
}

// install.sh names the paths it saw; inside the namespace those are the root's.
function inRoot (ctx: SetupContext, line: string): string {
  if (ctx.paths.root === '/') return line
  const mounted: Record<string, string> = { '/usr/local': ctx.paths.usrLocal, '/etc/shells': ctx.paths.shells }
  // The shell added to /etc/shells is a line of that file, not a path in the root.
  const entry = /^(added|removed) (\S+) (to|from) \/etc\/shells$/.exec(line)
  if (entry !== null) return `${entry[1]} ${entry[2]} ${entry[3]} ${ctx.paths.shells}`
  return line.replace(/(?<=^|\s)(\/usr\/local|\/etc\/shells)(?=\/|\s|$)/g, (m) => mounted[m] ?? m)
}

async function exists (path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false)
}
