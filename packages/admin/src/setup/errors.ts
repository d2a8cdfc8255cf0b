// The error codes of `bastion setup` and `bastion doctor`, each with the one-line meaning
// that docs/admin/errors.md repeats (a test checks the two agree). The errors themselves
// are AdminErrors (src/cli-errors.ts): the command prints the message and the code.
import { AdminError } from '../cli-errors.ts'

export const setupCodes = {
  BASTION_ADMIN_HOST_CONFIG_INVALID: 'The config file is missing, unreadable, or invalid for one of the components that read it',
  BASTION_ADMIN_HOST_CONFIG_INSECURE: 'The config file, or a directory above it, is not owned by root or can be written by others',
  BASTION_ADMIN_SETUP_USAGE: 'A bad argument: an unknown step, a user name that cannot be one, a relative path',
  BASTION_ADMIN_SETUP_APP_INCOMPLETE: 'A file of the installed suite is missing, or the suite was not built',
  BASTION_ADMIN_SETUP_FILE_INSECURE: 'A file of the login path, or a directory above it, is not owned by root or can be written by others, so setup will not install over it',
  BASTION_ADMIN_SETUP_COMMAND_FAILED: 'A host command that setup runs (install.sh, iptables, usermod, sshd -t, systemctl) failed',
  BASTION_ADMIN_SETUP_NO_SUCH_USER: 'A user named with --user has no account on this host',
  BASTION_ADMIN_SETUP_SSHD_INACTIVE: 'The sshd drop-in is installed but sshd does not apply it, or there is no sshd_config',
  BASTION_ADMIN_SETUP_DOCKER_UNAVAILABLE: 'The Docker Engine does not answer',
  BASTION_ADMIN_SETUP_IMAGE_FAILED: 'The toolbox image is missing and cannot be built under the name shell.image gives, or the build left no such image'
} as const

export type SetupCode = keyof typeof setupCodes

export function setupError (code: SetupCode, message: string, cause?: unknown): AdminError {
  return new AdminError(code, message, cause === undefined ? undefined : { cause })
}
