// @bastion/admin: the operator's command `bastion` and what it is built from.
export { AdminError } from './cli-errors.ts'
export { commands } from './commands/index.ts'
