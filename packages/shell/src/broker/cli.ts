// bastion-shell-broker's commands. Root only: the broker hands out containers with any
// user's role, and gc removes them.
import { fileURLToPath } from 'node:url'
import { configPath } from '@bastion/config/path'
import { packageVersion } from '@bastion/config/version'
import { httpEngine } from '../docker/engine.ts'
import { loadShellConfig } from '../config/load.ts'
import { shellLogger } from '../login.ts'
import { gc } from '../gc.ts'
import { startRevocation } from '../revoke.ts'
import { ShellError, toShellError } from '../errors.ts'
import { serveBroker } from './serve.ts'

const USAGE = `usage: bastion-shell-broker [--config FILE] serve   run the session broker (systemd: bastion-shell-broker.service)
       bastion-shell-broker [--config FILE] gc      remove containers idle past shell.gcIdleSeconds
       bastion-shell-broker --version               print the version

FILE defaults to $BASTION_CONFIG, then /etc/bastion/bastion.yaml. Both commands are for root.
`

// The worker module beside this one, as built (.js) or as sources (.ts, in tests).
const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js', import.meta.url))

async function main (argv: string[]): Promise<number> {
  const args = [...argv]
  let file: string | undefined
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`bastion-shell-broker ${packageVersion(import.meta.url)}\n`)
    return 0
  }
  if (args[0] === '--config') { file = args[1]; args.splice(0, 2) }
  if (args.length !== 1 || !['serve', 'gc'].includes(args[0] as string)) {
    const help = args.length === 1 && (args[0] === '--help' || args[0] === '-h')
    ;(help ? process.stdout : process.stderr).write(USAGE)
    return help ? 0 : 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bastion-shell-broker: run as root\n')
    return 2
  }
  const path = file ?? configPath(undefined, process.env)
  const config = await loadShellConfig(path)
  const log = shellLogger(config)
  if (args[0] === 'gc') {
    const result = await gc(httpEngine(config.shell.dockerSocket, config.shell.stepTimeoutMs), config, log)
    process.stdout.write(`removed ${result.removed.length} idle container(s), kept ${result.kept.length}\n`)
    return 0
  }
  // The installed login shell connects to the run directory its wrapper names; a config
  // that names another would leave every login without a broker.
  const installed = process.env.BASTION_SHELL_RUN_DIR
  if (installed !== undefined && installed !== config.shell.broker.runDir) {
    throw new ShellError('BASTION_SHELL_CONFIG_INVALID', `shell.broker.runDir is ${config.shell.broker.runDir}, but the login shell was installed for ${installed}: run \`bastion setup\` (or host/install.sh --run-dir) again`)
  }
  const broker = await serveBroker(config, { configPath: path, workerModule: WORKER, execArgv: ['--disable-warning=ExperimentalWarning'] }, log)
  // Users who lost access lose their containers and sessions (revoke.ts).
  const revocation = startRevocation(() => loadShellConfig(path), (c) => httpEngine(c.shell.dockerSocket, c.shell.stepTimeoutMs), log)
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve())
  })
  log.info('session broker stopping; live sessions go on in their workers')
  await revocation.stop()
  await broker.close()
  return 0
}

export function run (argv: string[]): void {
  main(argv).then((code) => { process.exitCode = code }, (err: unknown) => {
    const e = toShellError(err)
    process.stderr.write(`bastion-shell-broker: ${e.message} (${e.code})\n`)
    process.exitCode = 1
  })
}
