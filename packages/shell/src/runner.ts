// The root-side session runner of bastion-shell, started only through the fixed sudoers rule
// (see packages/shell/host). Arguments are what sshd gave the login shell: nothing for
// an interactive login, or `-c COMMAND` for commands, scp, sftp and rsync. As root and
// outside sudo, `gc` removes idle containers.
import { configPath } from '@bastion/config/path'
import { httpEngine } from './docker/engine.ts'
import { loadShellConfig } from './config/load.ts'
import { ShellError, toShellError } from './errors.ts'
import { login, shellLogger } from './main.ts'
import { gc } from './gc.ts'

const USAGE = `usage: bastion-shell                 an interactive session in your container
       bastion-shell -c COMMAND      run COMMAND in your container
       bastion-shell gc              (root) remove containers idle past shell.gcIdleSeconds
`

// Written and read by root only (see config/load.ts).
const CONFIG_CACHE = '/run/bastion/shell-config'

async function main (args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') { process.stdout.write(USAGE); return 0 }
  // Before anything else: only root, through the sudoers rule (or root's own gc), gets on.
  if (process.getuid?.() !== 0) throw new ShellError('BASTION_SHELL_IDENTITY', 'the session runner must run as root through its sudoers rule')
  const config = await loadShellConfig(configPath(undefined, process.env), { cacheDir: CONFIG_CACHE })
  const log = shellLogger(config)
  try {
    return await dispatch(args, config, log)
  } catch (err) {
    log.error({ err, args: args.slice(0, 1) }, 'bastion-shell failed')
    throw err
  }
}

async function dispatch (args: string[], config: Awaited<ReturnType<typeof loadShellConfig>>, log: ReturnType<typeof shellLogger>): Promise<number> {
  if (args[0] === 'gc' && args.length === 1) {
    if (process.getuid?.() !== 0 || process.env.SUDO_UID !== undefined) throw new ShellError('BASTION_SHELL_USAGE', 'gc is for root only')
    const result = await gc(httpEngine(config.shell.dockerSocket, config.shell.stepTimeoutMs), config, log)
    process.stdout.write(`removed ${result.removed.length} idle container(s), kept ${result.kept.length}\n`)
    return 0
  }
  let command: string | undefined
  if (args.length === 0) command = nonEmpty(process.env.SSH_ORIGINAL_COMMAND)
  else if (args.length === 2 && args[0] === '-c') command = args[1]
  else throw new ShellError('BASTION_SHELL_USAGE', `unexpected arguments: ${JSON.stringify(args).slice(0, 200)}`)
  return login(config, { command }, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, log)
}

function nonEmpty (s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s
}

export function run (): void {
  main(process.argv.slice(2)).then((code) => {
    // Nothing may keep a finished session open (the paused stdin would): exit once what
    // we wrote has left. Audit lines and the log are written synchronously already.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
  }, (err: unknown) => {
    const e = toShellError(err)
    process.stderr.write(`${e.userMessage}\n`)
    process.exitCode = 125
  })
}
