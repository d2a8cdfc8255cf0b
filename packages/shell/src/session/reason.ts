// The reason a person gives for a session (shell.reason): what the login shell sent in
// its request, checked here on the root side, where the audit line is written. The
// client is the user's, so the text is treated as hostile: it reaches an auditor's
// terminal through `bastion audit`, and no control or format character (an ANSI escape,
// a bidi override) may ride along.
import { ShellError } from '../errors.ts'

export type ReasonMode = 'off' | 'optional' | 'required'

// Characters (code points) a reason may have once trimmed.
export const MAX_REASON_LENGTH = 200

// How much longer than shell.broker.handshakeTimeoutMs the broker waits for a request
// when it may be preceded by the client's prompt: a person types the reason meanwhile.
// The client gives up on its prompt before this (docs/shell/protocol.md).
export const REASON_PROMPT_MS = 120_000

// Control (Cc), format (Cf, the bidi overrides among them) and surrogate (Cs) code
// points, and the line and paragraph separators.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u

// The reason to record for a session: null when none was given or the mode is off (a
// sent reason is then ignored). A reason that breaks the rules, or none where one is
// required, refuses the login.
export function statedReason (mode: ReasonMode, sent: string | undefined): string | null {
  if (mode === 'off') return null
  if (sent === undefined) {
    if (mode === 'required') throw new ShellError('BASTION_SHELL_REASON_REQUIRED', 'the login gave no reason, and shell.reason is required')
    return null
  }
  return checkReason(sent)
}

// The reason trimmed, or BASTION_SHELL_REASON_INVALID.
export function checkReason (sent: string): string {
  const reason = sent.trim()
  const length = [...reason].length
  if (length === 0 || length > MAX_REASON_LENGTH) {
    throw new ShellError('BASTION_SHELL_REASON_INVALID', `the reason has ${length} characters once trimmed, not 1 to ${MAX_REASON_LENGTH}`)
  }
  const bad = FORBIDDEN.exec(reason)
  if (bad !== null) {
    const cp = bad[0].codePointAt(0) as number
    throw new ShellError('BASTION_SHELL_REASON_INVALID', `the reason has a control or format character, U+${cp.toString(16).toUpperCase().padStart(4, '0')}, at character ${[...reason.slice(0, bad.index)].length + 1}`)
  }
  return reason
}
