// The reason a login gives for its session: recorded as given (trimmed) when it is plain
// text of 1 to 200 characters, refused with a code when it is not or when one is
// required and missing, and ignored when shell.reason is off.
import t from 'tap'
import { checkReason, MAX_REASON_LENGTH, statedReason } from '../../src/session/reason.ts'
import { ShellError } from '../../src/errors.ts'

const code = (fn: () => unknown): string | undefined => {
  try { fn() } catch (err) { return err instanceof ShellError ? err.code : `not a ShellError: ${String(err)}` }
  return undefined
}

t.test('a plain reason is recorded trimmed, in any script', async (t) => {
  t.equal(checkReason('  INC-123 pods crash-looping\t'), 'INC-123 pods crash-looping')
  t.equal(checkReason('Störung im Cluster – Ticket #42'), 'Störung im Cluster – Ticket #42')
  t.equal(checkReason('调查 INC-7 😀'), '调查 INC-7 😀')
})

t.test('200 characters pass, counted as characters and not UTF-16 units; 201 and blank do not', async (t) => {
  t.equal(checkReason('x'.repeat(MAX_REASON_LENGTH)).length, 200)
  t.equal([...checkReason('😀'.repeat(200))].length, 200, '200 emoji are 400 UTF-16 units')
  t.equal(code(() => checkReason('x'.repeat(201))), 'BASTION_SHELL_REASON_INVALID')
  t.equal(code(() => checkReason('😀'.repeat(201))), 'BASTION_SHELL_REASON_INVALID')
  t.equal(code(() => checkReason('')), 'BASTION_SHELL_REASON_INVALID')
  t.equal(code(() => checkReason(' \t ')), 'BASTION_SHELL_REASON_INVALID')
})

t.test('control, format and separator characters are refused: nothing can drive an auditor\'s terminal', async (t) => {
  const hostile = {
    'an ANSI escape': 'INC-1 \u001b[2J\u001b[31mall fine',
    'a C1 control (CSI)': 'INC-1 \u009b2J',
    'a newline': 'INC-1\nsession 0000 ended',
    'a carriage return': 'INC-1\rfake',
    'a NUL': 'INC-1\u0000',
    'DEL': 'INC-1\u007f',
    'a bidi override (RLO)': 'INC-1 \u202egnp.exe',
    'a bidi isolate (LRI)': 'INC-1 \u2066x\u2069',
    'a zero-width joiner': 'INC\u200d-1',
    'a byte order mark inside (trim takes one at either end)': 'INC\ufeff-1',
    'a line separator': 'INC-1\u2028x',
    'a lone surrogate': 'INC-1 \ud800'
  }
  for (const [what, reason] of Object.entries(hostile)) t.equal(code(() => checkReason(reason)), 'BASTION_SHELL_REASON_INVALID', what)
  t.throws(() => checkReason('ok\u001b[0m'), /U\+001B, at character 3/, 'the log says which character and where')
})

t.test('off records nothing, even a reason that was sent, and even a bad one', async (t) => {
  t.equal(statedReason('off', 'INC-123'), null)
  t.equal(statedReason('off', '\u001b[2J'), null)
  t.equal(statedReason('off', undefined), null)
})

t.test('optional records a reason when one is given and none otherwise, but never a bad one', async (t) => {
  t.equal(statedReason('optional', ' INC-123 '), 'INC-123')
  t.equal(statedReason('optional', undefined), null)
  t.equal(code(() => statedReason('optional', 'a\u001bb')), 'BASTION_SHELL_REASON_INVALID')
})

t.test('required refuses a login without a reason, with its own code', async (t) => {
  t.equal(statedReason('required', 'INC-123'), 'INC-123')
  t.equal(code(() => statedReason('required', undefined)), 'BASTION_SHELL_REASON_REQUIRED')
  t.equal(code(() => statedReason('required', '   ')), 'BASTION_SHELL_REASON_INVALID')
  const e = new ShellError('BASTION_SHELL_REASON_REQUIRED', 'x')
  t.match(e.userMessage, /SetEnv=BASTION_REASON=.*\(BASTION_SHELL_REASON_REQUIRED\)$/, 'the user is told how to give one')
})
