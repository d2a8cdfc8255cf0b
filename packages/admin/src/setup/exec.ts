// The one way setup and doctor run host commands (install.sh, sshd, usermod, systemctl):
// a narrow interface that unit tests replace with a fake, and a real one over execa with
// a timeout, a fixed locale and a clean environment.
import { execa } from 'execa'
import { setupError } from './errors.ts'

export interface RunResult { exitCode: number, stdout: string, stderr: string }

export interface Exec {
  run (cmd: string, args: readonly string[], opts?: { timeoutMs?: number }): Promise<RunResult>
}

const DEFAULT_TIMEOUT_MS = 120_000
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

// A command that cannot start at all, or runs past its timeout, throws; any exit status
// is an answer for the caller to judge.
export function execaExec (): Exec {
  return {
    async run (cmd, args, opts = {}) {
      const r = await execa(cmd, args, {
        reject: false,
        stdin: 'ignore',
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        // A clean environment: nothing from the caller (Chef's, a shell's) reaches
        // install.sh, usermod or sshd, and messages are in stable English.
        env: { PATH: SAFE_PATH, LC_ALL: 'C' },
        extendEnv: false
      })
      if (r.exitCode === undefined) {
        throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `${cmd} could not run: ${r.shortMessage ?? 'unknown error'}`, r)
      }
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
    }
  }
}

// Runs and insists on exit 0; the error shows the command and what it printed.
export async function runOk (exec: Exec, cmd: string, args: readonly string[], opts?: { timeoutMs?: number }): Promise<RunResult> {
  const r = await exec.run(cmd, args, opts)
  if (r.exitCode !== 0) {
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join(' / ')
    throw setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', `${[cmd, ...args].join(' ')} exited with ${r.exitCode}${said === '' ? '' : `: ${said}`}`)
  }
  return r
}
