// `bastion users`: Unix accounts and SSH keys from IAM or Identity Center (docs/admin/users.md).
export { loadUsersConfig, UsersSection, type UsersConfig } from './config.ts'
export { syncUsers, formatUsersReport, type UsersReport } from './sync.ts'
export { hostAccounts } from './accounts.ts'
export { iamKeys } from './iam-keys.ts'
export { keyDirectory } from './key-directory.ts'
export { MARK, markFor } from './plan.ts'
export { KEYS_DIR, KEYS_USER, keysDirFor } from './keys-cache.ts'
export { usersCodes, usersError } from './errors.ts'
