// The stable codes `bastion ship` ends with, each with the one-line meaning that
// docs/admin/errors.md repeats (a test checks the two agree).
import { codedError } from '../cli-errors.ts'

export const shipCodes = {
  BASTION_ADMIN_SHIP_CONFIG_INVALID: 'The config file is missing, unreadable, or invalid (the ship section, or the shell and proxy settings it uses)',
  BASTION_ADMIN_SHIP_DISABLED: 'ship.enabled is false: this host\'s logs are not to be shipped',
  BASTION_ADMIN_SHIP_STATE_UNWRITABLE: 'The state directory (ship.stateDir) cannot be made or written: the cursors cannot be kept',
  BASTION_ADMIN_SHIP_INCOMPLETE: 'bastion ship --once ended with lines not shipped: CloudWatch Logs refused or did not answer a call'
} as const

export const shipError = codedError(shipCodes)
