#!/usr/bin/env node
// bastion: the operator's command. Each subcommand lives in src/commands/<name>.ts and
// exports register(program); this file only wires them and turns errors into exit codes.
import { Command } from 'commander'
import { packageVersion } from '@bastion/config/version'
import { commands } from '../src/commands/index.ts'
import { reportAndExit } from '../src/cli-errors.ts'
import { joinImdsGroup } from '@bastion/config/imds-group'

const program = new Command()
program
  .name('bastion')
  .description('Operate a bastion host: set it up, check it, roll out the toolbox image, write kubeconfig, read the audit trail.')
  .option('-c, --config <path>', 'config file (default: $BASTION_CONFIG or /etc/bastion/bastion.yaml)')
  .version(`bastion ${packageVersion(import.meta.url)}`, '-V, --version', 'print the version and exit')
  .showHelpAfterError()

for (const register of commands) register(program)

// Before any AWS call: the host guard lets only holders of bastion-imds reach IMDS.
joinImdsGroup()
program.parseAsync(process.argv).catch(reportAndExit)
