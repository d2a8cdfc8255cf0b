// `bastion doctor`: checks this bastion host and prints one line per problem, with the
// fix; exits 1 when there is any. See docs/admin/doctor.md.
import type { Command } from 'commander'
import { doctorContext } from '../doctor/context.ts'
import { CHECKS, runDoctor } from '../doctor/run.ts'

interface DoctorOptions { root?: string, sshdConfig?: string, quiet?: boolean, instance?: string, ec2InstanceId?: string }

export function register (program: Command): void {
  program.command('doctor')
    .description('check this bastion host: ' + CHECKS.map((c) => c.name).join(', ') + '; one line per problem, with the fix')
    .option('--quiet', 'print only the problems, the warnings and the summary')
    .option('--root <dir>', 'look for the files setup installs under this directory instead of /', '/')
    .option('--sshd-config <path>', 'the sshd_config to check the drop-in against (default: <root>/etc/ssh/sshd_config)')
    .option('--instance <name>', "check the login shell's files that install.sh --instance <name> installed beside the default ones (the test bed's is testbed)")
    .option('--ec2-instance-id <id>', "check this EC2 instance's metadata options (default: this host's, from its DMI asset tag)")
    .addHelpText('after', '\nChecks:\n' + CHECKS.map((c) => `  ${c.name.padEnd(13)} ${c.summary}`).join('\n') +
      '\n\nExit status: 0 when there is no problem, 1 otherwise. Run it as root (iptables, sshd -T, the broker socket).')
    .action(async (opts: DoctorOptions, cmd: Command) => {
      const ctx = await doctorContext({ config: cmd.optsWithGlobals<{ config?: string }>().config, root: opts.root, sshdConfig: opts.sshdConfig, instance: opts.instance, ec2InstanceId: opts.ec2InstanceId })
      const report = await runDoctor(ctx, CHECKS, { quiet: opts.quiet === true })
      process.stdout.write(report.lines.join('\n') + '\n')
      if (report.problems > 0) process.exitCode = 1
    })
}
