// Step `shell`: bastion-shell's host side (the login shell, the root-owned session
// runner, the one sudoers rule, the /etc/shells entry, the sudo package) and the sshd
// drop-in, all installed by packages/shell/host/install.sh, the same script the test bed
// runs, so the two can never disagree. install.sh knows only the host's own paths; under
// a --root it runs in a private mount namespace where /usr/local, /etc/sudoers.d and
// /etc/shells are the root's.
//
// plan() reads what install.sh would write from the same sources it copies and compares;
// the integration suite checks that plan() finds nothing right after install.sh ran and
// finds every file it tampers with.
import { lstat, readFile, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { runOk } from '../exec.ts'
import { diffFile, ensureDirs, putFile, type WantedFile } from '../files.ts'
import { setupError } from '../errors.ts'
import { SHELL_BIN } from '../paths.ts'
import type { SetupContext, Step } from '../context.ts'

export const DROPIN_CHANGED = 'sshd drop-in'

const installScript = (ctx: SetupContext): string => join(ctx.paths.app, 'packages/shell/host/install.sh')

async function source (ctx: SetupContext, rel: string): Promise<string> {
  try {
    return await readFile(join(ctx.paths.app, 'packages/shell', rel), 'utf8')
  } catch (err) {
    throw setupError('BASTION_ADMIN_SETUP_APP_INCOMPLETE', `the suite's packages/shell/${rel} is missing: ${(err as Error).message}`, err)
  }
}

// What install.sh installs, as files: the runner is host/shell-session.in with the three
// paths filled in, exactly as its sed does (the root as `pwd -P` prints it).
export async function wantedShellFiles (ctx: SetupContext): Promise<WantedFile[]> {
  const root = await realpath(ctx.paths.app)
  const runner = (await source(ctx, 'host/shell-session.in'))
    .replaceAll('@CONFIG@', ctx.paths.config).replaceAll('@NODE@', ctx.paths.node).replaceAll('@ROOT@', root)
  return [
    { path: ctx.paths.runner, content: runner, mode: 0o755 },
    { path: ctx.paths.sudoers, content: await source(ctx, 'host/sudoers'), mode: 0o440 },
    { path: ctx.paths.shellBin, content: await source(ctx, 'host/bastion-shell'), mode: 0o755 },
    { path: ctx.paths.sshdDropin, content: await source(ctx, 'sshd/bastion.conf'), mode: 0o644 }
  ]
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

async function listed (shells: string): Promise<boolean> {
  try {
    return (await readFile(shells, 'utf8')).split('\n').includes(SHELL_BIN)
  } catch {
    return false
  }
}

export const shellStep: Step = {
  name: 'shell',
  summary: 'bastion-shell as a login shell: /usr/local/bin/bastion-shell, its sudoers rule, /etc/shells, the sshd drop-in (host/install.sh)',
  async plan (ctx) {
    const changes: string[] = []
    const sudo = await ctx.exec.run('dpkg-query', ['-W', '-f=${Status}', 'sudo'])
    if (!/install ok installed/.test(sudo.stdout)) changes.push('install the Debian package sudo')
    for (const dir of [join(ctx.paths.runner, '..'), ctx.paths.sshdDropinDir]) {
      const change = await dirChange(dir)
      if (change !== undefined) changes.push(change)
    }
    for (const file of await wantedShellFiles(ctx)) {
      const change = await diffFile(file)
      if (change !== undefined) changes.push(change)
    }
    if (!(await listed(ctx.paths.shells))) changes.push(`add ${SHELL_BIN} to ${ctx.paths.shells}`)
    return changes
  },
  async apply (ctx) {
    const changes = ctx.paths.root === '/' ? [] : await prepareRoot(ctx)
    const args = ['--root', ctx.paths.app, '--node', ctx.paths.node, '--config', ctx.paths.config, '--sshd-dropin', ctx.paths.sshdDropinDir]
    const r = ctx.paths.root === '/'
      ? await runOk(ctx.exec, installScript(ctx), args)
      : await runOk(ctx.exec, 'unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-ec',
        'mount --bind "$1" /usr/local; mount --bind "$2" /etc/sudoers.d; mount --bind "$3" /etc/shells; shift 3; exec "$@"',
        'sh', ctx.paths.usrLocal, ctx.paths.sudoersDir, ctx.paths.shells, installScript(ctx), ...args])
    const done = r.stdout.split('\n').map((l) => /^bastion-shell install: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined)
      .map((l) => inRoot(ctx, l))
    if (done.some((l) => l.includes(ctx.paths.sshdDropin))) ctx.changed.add(DROPIN_CHANGED)
    return [...changes, ...done]
  }
}

// The mount points install.sh's paths need inside a --root: /usr/local/bin (it writes
// there through a temporary file), /etc/sudoers.d and /etc/shells.
async function prepareRoot (ctx: SetupContext): Promise<string[]> {
  const changes: string[] = []
  for (const dir of [join(ctx.paths.usrLocal, 'bin'), ctx.paths.sudoersDir]) {
    if (!(await exists(dir))) {
      await ensureDirs(dir)
      changes.push(`created ${dir}`)
    }
  }
  if (!(await exists(ctx.paths.shells))) {
    const change = await putFile({ path: ctx.paths.shells, content: '', mode: 0o644 })
    if (change !== undefined) changes.push(change)
  }
  return changes
}

// install.sh names the paths it saw; inside the namespace those are the root's.
function inRoot (ctx: SetupContext, line: string): string {
  if (ctx.paths.root === '/') return line
  const mounted: Record<string, string> = { '/usr/local': ctx.paths.usrLocal, '/etc/sudoers.d': ctx.paths.sudoersDir, '/etc/shells': ctx.paths.shells }
  // The shell added to /etc/shells is a line of that file, not a path in the root.
  const entry = /^(added|removed) (\S+) (to|from) \/etc\/shells$/.exec(line)
  if (entry !== null) return `${entry[1]} ${entry[2]} ${entry[3]} ${ctx.paths.shells}`
  return line.replace(/(?<=^|\s)(\/usr\/local|\/etc\/sudoers\.d|\/etc\/shells)(?=\/|\s|$)/g, (m) => mounted[m] ?? m)
}

async function exists (path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false)
}
