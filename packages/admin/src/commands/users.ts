// `bastion users sync`: the bastion's Unix accounts and the SSH keys sshd accepts, from
// IAM or IAM Identity Center (docs/admin/users.md). Run every minute by
// bastion-users-sync.timer.
import { join } from 'node:path'
import type { Command } from 'commander'
import { IAMClient } from '@aws-sdk/client-iam'
import { configPath } from '@bastion/config'
import { createMeter, iamApi, iamPeople, identityStoreApi, identityStoreClient, identityStorePeople, type PeopleSource } from '@bastion/rbacsync'
import { execaExec, runOk } from '../setup/exec.ts'
import { formatUsersReport, hostAccounts, iamKeys, keyDirectory, KEYS_DIR, KEYS_USER, keysDirFor, loadUsersConfig, MARK, markFor, syncUsers, usersError, type UsersConfig } from '../users/index.ts'
import type { KeySource } from '../users/people.ts'
import { NAMESPACES_SUBDIR } from '../users/namespace-files.ts'

interface SyncOptions { dryRun?: boolean, json?: boolean }

export function register (program: Command): void {
  const users = program.command('users')
    .description("the bastion's Unix accounts and SSH keys, from IAM: one account per member of an access group")
  users.command('sync')
    .description('create, restore and lock accounts to match the access groups, and refresh the keys cache sshd reads')
    .option('--dry-run', 'read IAM and the accounts, print what would change, change nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', [
      '',
      `Accounts it makes carry the GECOS "${MARK}" ("${MARK} (NAME)" with users.instance);`,
      'no other account is ever touched.',
      'A person in no access group any more is locked (expired, out of shell.allowedGroup),',
      `and their home is kept. The keys go to ${KEYS_DIR} (${KEYS_DIR}-NAME), which sshd's AuthorizedKeysCommand`,
      'reads; they are served for users.keys.maxAgeSeconds after the last complete read.',
      'If IAM cannot be read in full, nothing changes. Exit codes: 0 done, 2 a problem or a',
      'failed read. AWS credentials come from the environment or the instance role.'
    ].join('\n'))
    .action(async (opts: SyncOptions, cmd: Command) => {
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config, process.env)
      const config = await loadUsersConfig(path).catch((err: Error) => {
        throw usersError('BASTION_ADMIN_USERS_CONFIG_INVALID', err.message, err)
      })
      if (config.users.source === 'none') {
        process.stdout.write('users sync: users.source is none: accounts are kept outside IAM, nothing to do\n')
        return
      }
      const exec = execaExec()
      const { people, keys, destroy } = sources(config)
      const report = await syncUsers({
        people,
        keys,
        accounts: hostAccounts(exec, { allowedGroup: config.shell.allowedGroup, shell: config.users.loginShell, gecos: markFor(config.users.instance) }),
        keysDir: keysDirFor(config.users.instance),
        keysGid: async () => {
          const r = await runOk(exec, 'getent', ['group', KEYS_USER]).catch((err: Error) => {
            throw new Error(`the keys command's group ${KEYS_USER} is missing (run \`bastion setup users\`): ${err.message}`)
          })
          return Number(r.stdout.split(':')[2])
        },
        gidOf: async (name) => Number((await runOk(exec, 'id', ['-g', '--', name])).stdout.trim()),
        now: () => new Date()
      }, { allowedGroup: config.shell.allowedGroup, shell: config.users.loginShell, mark: markFor(config.users.instance), maxAgeSeconds: config.users.keys.maxAgeSeconds, namespacesDir: join(config.shell.kubeconfigDir, NAMESPACES_SUBDIR), dryRun: opts.dryRun === true })
      destroy()
      process.stdout.write(opts.json === true ? JSON.stringify(report) + '\n' : formatUsersReport(report, opts.dryRun === true).join('\n') + '\n')
      if (report.failed !== undefined) {
        process.exitCode = 2
        process.stderr.write(`bastion: ${usersError('BASTION_ADMIN_USERS_READ_FAILED', report.failed).message} (BASTION_ADMIN_USERS_READ_FAILED)\n`)
      } else if (report.problems.length > 0) {
        process.exitCode = 2
        process.stderr.write(`bastion: ${report.problems.length} problem(s), see above (BASTION_ADMIN_USERS_PROBLEMS)\n`)
      }
    })
}

// The people (rbacsync's shared reader) and their keys, for the configured source.
function sources (config: Readonly<UsersConfig>): { people: PeopleSource, keys: KeySource, destroy: () => void } {
  const u = config.users
  const aws = { maxAttempts: 8, timeoutMs: u.iam.timeoutMs }
  const ic = u.identityCenter
  if (u.source === 'identity-center' && ic.identityStoreId !== undefined) {
    const client = identityStoreClient({ ...aws, region: ic.region ?? config.aws.region, ...(ic.endpoint !== undefined ? { endpoint: ic.endpoint } : {}) }, createMeter())
    return { people: identityStorePeople(identityStoreApi(client, ic.identityStoreId, u.iam.pageSize), ic.identityStoreId, 4), keys: keyDirectory(u.keys.directory), destroy: () => client.destroy() }
  }
  const iam = new IAMClient({
    region: config.aws.region,
    ...(u.iam.endpoint === undefined ? {} : { endpoint: u.iam.endpoint }),
    maxAttempts: aws.maxAttempts,
    requestHandler: { requestTimeout: aws.timeoutMs, connectionTimeout: aws.timeoutMs }
  })
  return { people: iamPeople(iamApi(iam, u.iam.pageSize), u.iam.path, 1), keys: iamKeys(iam, u.iam.pageSize), destroy: () => iam.destroy() }
}
