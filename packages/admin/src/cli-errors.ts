// How `bastion` ends on an error: one line on stderr with the code when it is ours,
// and exit 1; a usage error from commander has already been printed.
export class AdminError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AdminError'
    this.code = code
  }
}

// The error maker of one command's codes: codedError(imageCodes)('BASTION_ADMIN_IMAGE_BUSY', ...).
export function codedError<C extends string> (_codes: Readonly<Record<C, string>>): (code: C, message: string, cause?: unknown) => AdminError {
  return (code, message, cause) => new AdminError(code, message, cause === undefined ? undefined : { cause })
}

export function reportAndExit (err: unknown): never {
  if (err instanceof AdminError) {
    process.stderr.write(`bastion: ${err.message} (${err.code})\n`)
  } else {
    process.stderr.write(`bastion: ${err instanceof Error ? err.message : String(err)}\n`)
  }
  process.exit(1)
}
