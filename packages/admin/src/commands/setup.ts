// `bastion setup [steps...]`: brings this host to the state the suite needs, idempotently,
// one line per change; `--check` only says what it would change (exit 2 if anything).
// The Chef cookbook calls it; see docs/admin/setup.md.
import type { Command } from 'commander'
import { hostContext } from '../setup/host.ts'
import { runSetup, selectSteps, STEPS } from '../setup/run.ts'
import { setupError } from '../setup/errors.ts'
import { checkUserName } from '../setup/steps/users.ts'

interface SetupOptions { check?: boolean, root?: string, node?: string, user: string[] }

// Exit status of --check when something would change (0: nothing would, 1: an error).
export const CHANGES_PENDING = 2

export function register (program: Command): void {
  program.command('setup')
    .description('set up this host as a bastion (idempotent): ' + STEPS.map((s) => s.name).join(', '))
    .argument('[steps...]', 'run only these steps (always in the fixed order)')
    .option('--check', `change nothing; print what would change and exit ${CHANGES_PENDING} if anything would`)
    .option('--user <name>', 'a user who logs in to bastion-shell (repeat for each)', (v: string, all: string[]) => [...all, v], [])
    .option('--root <dir>', 'write every file under this directory instead of / (tests); users, groups, iptables and Docker stay the host\'s', '/')
    .option('--node <path>', "the Node 24 binary the units and the session broker's wrapper run (default: /opt/bastion/node/bin/node)")
    .addHelpText('after', '\nSteps:\n' + STEPS.map((s) => `  ${s.name.padEnd(11)} ${s.summary}`).join('\n') +
      '\n\nPrints one line per change and a summary; a run that changes nothing prints "setup: no changes" and writes nothing.')
    .action(async (names: string[], opts: SetupOptions, cmd: Command) => {
      if (process.getuid?.() !== 0) throw setupError('BASTION_ADMIN_SETUP_USAGE', 'run bastion setup as root: it writes /etc, iptables and users')
      const steps = selectSteps(names)
      opts.user.forEach(checkUserName)
      const ctx = await hostContext({ config: cmd.optsWithGlobals<{ config?: string }>().config, root: opts.root, node: opts.node, users: opts.user })
      const check = opts.check === true
      const changes = await runSetup(ctx, steps, {
        check,
        report: (c) => process.stdout.write(`${c.step}: ${check ? 'would ' : ''}${c.what}\n`)
      })
      const n = changes.length
      if (n === 0) process.stdout.write('setup: no changes\n')
      else process.stdout.write(check ? `setup --check: ${n} change${n === 1 ? '' : 's'} pending\n` : `setup: ${n} change${n === 1 ? '' : 's'}\n`)
      if (check && n > 0) process.exitCode = CHANGES_PENDING
    })
}
