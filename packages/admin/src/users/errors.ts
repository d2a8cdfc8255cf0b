// The stable codes `bastion users` ends with, each with the one-line meaning that
// docs/admin/errors.md repeats (a test checks the two agree).
import { codedError } from '../cli-errors.ts'

export const usersCodes = {
  BASTION_ADMIN_USERS_CONFIG_INVALID: 'The config file is missing, unreadable, or invalid (the users section, or the shell and rbacsync settings it uses)',
  BASTION_ADMIN_USERS_READ_FAILED: 'The people or their keys could not be read in full (IAM or the identity store: a failed page, a throttled or denied call; or the key directory): no account and no key was changed',
  BASTION_ADMIN_USERS_PROBLEMS: 'The sync finished, but reported problems: people skipped (names, collisions, accounts bastion did not make), a key file not trusted, or a command that failed'
} as const

export const usersError = codedError(usersCodes)
