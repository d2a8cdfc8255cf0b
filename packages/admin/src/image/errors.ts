// The stable codes `bastion image` ends with, each with the one-line meaning that
// docs/admin/errors.md repeats (a test checks the two agree).
import { codedError } from '../cli-errors.ts'

export const imageCodes = {
  BASTION_ADMIN_IMAGE_CONFIG_INVALID: 'The config file is missing, unreadable, or invalid (for the toolbox section or the shell that uses the image)',
  BASTION_ADMIN_IMAGE_USAGE: 'A bad argument: both --offline and --production, or an image reference that cannot be one',
  BASTION_ADMIN_IMAGE_DOCKER_UNAVAILABLE: 'The Docker Engine does not answer, or a Docker API call failed',
  BASTION_ADMIN_IMAGE_CONTEXT_MISSING: "A build input is missing: the toolbox's Dockerfile, or the k9s or kubectl binary the offline build copies in",
  BASTION_ADMIN_IMAGE_BUILD_FAILED: '`docker build` failed or took longer than toolbox.buildTimeoutSeconds',
  BASTION_ADMIN_IMAGE_SMOKE_FAILED: 'The image failed its smoke test (its kubectl, aws, k9s or the agent did not run), so it was not tagged, rolled out or made shell.image',
  BASTION_ADMIN_IMAGE_NOT_FOUND: 'The image to roll out, or to roll back to, is not in Docker (the bastion never pulls)',
  BASTION_ADMIN_IMAGE_NO_PREVIOUS: 'There is no earlier image to roll back to',
  BASTION_ADMIN_IMAGE_HISTORY_INVALID: 'The history file cannot be read or is not one this suite wrote; it is left untouched',
  BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED: 'The config file could not be rewritten with the new shell.image; it is left as it was',
  BASTION_ADMIN_IMAGE_BUSY: 'Another `bastion image` command holds the lock on the history file'
} as const

export const imageError = codedError(imageCodes)
