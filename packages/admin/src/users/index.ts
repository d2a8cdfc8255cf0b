// `bastion users`: Unix accounts and SSH keys from IAM (docs/admin/users.md).
export { loadUsersConfig, UsersSection, type UsersConfig } from './config.ts'
export { syncUsers, formatUsersReport, type UsersReport } from './sync.ts'
export { hostAccounts } from './accounts.ts'
export { iamReader } from './iam-reader.ts'
export { MARK } from './plan.ts'
export { usersCodes, usersError } from './errors.ts'
