// Every error this package raises, with a stable code, the short sentence the SSH user
// sees, and (in the message) the detail for the operator's log.
// docs/shell/errors.md lists each code; a test checks that the two agree.

export const codes = {
  BASTION_SHELL_CONFIG_INVALID: 'The bastion is misconfigured. Please tell the operators.',
  BASTION_SHELL_NOT_ALLOWED: 'You are not allowed to use this bastion.',
  BASTION_SHELL_IDENTITY: 'Your identity could not be established.',
  BASTION_SHELL_USAGE: 'This login shell only runs interactive sessions and `-c COMMAND`.',
  BASTION_SHELL_BROKER_UNAVAILABLE: 'The session service is not running. Please tell the operators.',
  BASTION_SHELL_BUSY: 'The bastion is at its session limit. Please try again shortly.',
  BASTION_SHELL_USER_SESSION_LIMIT: 'You have as many sessions open as the bastion allows one person. Close one and try again.',
  BASTION_SHELL_TOO_MANY_CONNECTIONS: 'Too many connections to the bastion wait to be verified. Please try again.',
  BASTION_SHELL_DOCKER_UNAVAILABLE: 'The container service is not available right now. Please try again shortly.',
  BASTION_SHELL_IMAGE_MISSING: 'The workstation image is missing on this bastion. Please tell the operators.',
  BASTION_SHELL_NO_ADDRESS: 'The bastion has no network address left for your workstation. Please tell the operators.',
  BASTION_SHELL_LIMITS_REACHED: 'Your workstation hit a resource limit (all its processes are in use). Please tell the operators.',
  BASTION_SHELL_TIMEOUT: 'The bastion took too long to prepare your workstation. Please try again.',
  BASTION_SHELL_HOME_UNAVAILABLE: 'Your home cannot be made ready right now, so the bastion does not start your session. Please tell the operators.',
  BASTION_SHELL_HOME_TOO_LARGE: 'Your home is larger than this bastion\'s size limit for homes. Please tell the operators.',
  BASTION_SHELL_AUDIT_UNAVAILABLE: 'The bastion cannot record your session right now, so it does not start it. Please tell the operators.',
  BASTION_SHELL_REASON_REQUIRED: 'This bastion needs a reason for every session: answer the prompt, or give one with ssh -o SetEnv=BASTION_REASON=...',
  BASTION_SHELL_REASON_INVALID: 'The reason for this session must be 1 to 200 characters of plain text, without control characters.',
  BASTION_SHELL_REASON_TIMEOUT: 'No reason for this session was given in time.',
  BASTION_SHELL_INTERNAL: 'Something went wrong on the bastion. Please tell the operators.'
} as const

export type ErrorCode = keyof typeof codes

export class ShellError extends Error {
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ShellError'
    this.code = code
  }

  // What the SSH user reads: a short sentence and the code, never the detail.
  get userMessage (): string {
    return `bastion: ${codes[this.code]} (${this.code})`
  }
}

export function toShellError (err: unknown): ShellError {
  if (err instanceof ShellError) return err
  return new ShellError('BASTION_SHELL_INTERNAL', (err as Error)?.message ?? String(err), { cause: err })
}
