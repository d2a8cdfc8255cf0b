// Every error code is documented with the sentence the user sees, and what the user sees
// never carries the operator's detail.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { codes, ShellError, toShellError, type ErrorCode } from '../src/errors.ts'

const DOC = fileURLToPath(new URL('../../../docs/shell/errors.md', import.meta.url))
const CODES = Object.keys(codes) as ErrorCode[]

t.test('docs/shell/errors.md lists every code, and only codes that exist', async (t) => {
  t.ok(existsSync(DOC), `${DOC} exists`)
  if (!existsSync(DOC)) return
  const documented = new Set(readFileSync(DOC, 'utf8').match(/BASTION_SHELL_[A-Z0-9_]+/g) ?? [])
  for (const code of CODES) t.ok(documented.has(code), `${code} is documented`)
  for (const code of documented) t.ok(Object.hasOwn(codes, code), `${code} in the doc exists in codes`)
})

t.test('each code has one row in the doc, showing the exact sentence the user sees', async (t) => {
  if (!existsSync(DOC)) return t.fail(`${DOC} is missing`)
  const rows = readFileSync(DOC, 'utf8').split('\n').filter((l) => /^\| `BASTION_SHELL_/.test(l))
  for (const code of CODES) {
    const mine = rows.filter((r) => r.startsWith(`| \`${code}\` |`))
    t.equal(mine.length, 1, `${code} has one row`)
    t.ok(mine[0]?.includes(codes[code]), `${code}'s row shows its sentence`)
  }
})

t.test('the doc states the exit status and where the operator log is', async (t) => {
  if (!existsSync(DOC)) return t.fail(`${DOC} is missing`)
  const doc = readFileSync(DOC, 'utf8')
  t.match(doc, /\b125\b/)
  t.match(doc, /shell\.log\.file/)
  t.match(doc, /\/var\/log\/bastion\/shell\.log/)
})

t.test('codes follow the BASTION_SHELL_ pattern and each has a short sentence', async (t) => {
  t.ok(CODES.length >= 9)
  for (const [code, sentence] of Object.entries(codes)) {
    t.match(code, /^BASTION_SHELL_[A-Z0-9_]+$/)
    t.match(sentence, /^[A-Z].{9,119}\.$/, `${code}: a sentence`)
    t.notMatch(sentence, /\n/)
  }
})

t.test('a ShellError carries its code, message and cause', async (t) => {
  const cause = new Error('connect ENOENT /var/run/docker.sock')
  const err = new ShellError('BASTION_SHELL_DOCKER_UNAVAILABLE', 'Docker does not answer', { cause })
  t.ok(err instanceof Error)
  t.equal(err.name, 'ShellError')
  t.equal(err.code, 'BASTION_SHELL_DOCKER_UNAVAILABLE')
  t.equal(err.message, 'Docker does not answer')
  t.equal(err.cause, cause)
})

t.test('the user message is "bastion: <sentence> (<CODE>)" for every code', async (t) => {
  for (const code of CODES) {
    t.equal(new ShellError(code, 'detail').userMessage, `bastion: ${codes[code]} (${code})`)
  }
  t.equal(new ShellError('BASTION_SHELL_NOT_ALLOWED', 'x').userMessage, 'bastion: You are not allowed to use this bastion. (BASTION_SHELL_NOT_ALLOWED)')
})

t.test('the user message never contains the detail or the cause', async (t) => {
  const secret = 'uid 1001 has no passwd entry; /var/lib/bastion/state/locks/shell-alice'
  for (const code of CODES) {
    const err = new ShellError(code, secret, { cause: new Error('cause-detail-xyz') })
    t.notMatch(err.userMessage, 'passwd entry', code)
    t.notMatch(err.userMessage, '/var/lib', code)
    t.notMatch(err.userMessage, 'cause-detail-xyz', code)
  }
})

t.test('toShellError keeps a ShellError as it is', async (t) => {
  const err = new ShellError('BASTION_SHELL_TIMEOUT', 'slow')
  t.equal(toShellError(err), err)
})

t.test('toShellError makes anything else INTERNAL, keeping its message and the cause', async (t) => {
  const plain = new Error('EACCES: permission denied, open /var/log/bastion/sessions.jsonl')
  const wrapped = toShellError(plain)
  t.equal(wrapped.code, 'BASTION_SHELL_INTERNAL')
  t.equal(wrapped.message, plain.message)
  t.equal(wrapped.cause, plain)
  t.notMatch(wrapped.userMessage, 'EACCES')
  t.equal(toShellError('a string').message, 'a string')
  t.equal(toShellError(undefined).message, 'undefined')
  t.equal(toShellError(null).message, 'null')
  t.equal(toShellError(42).cause, 42)
})

t.test('the Go login shell prints its three messages exactly as the codes define them', async (t) => {
  const go = readFileSync(fileURLToPath(new URL('../native/cmd/bastion-shell-client/messages.go', import.meta.url)), 'utf8')
  for (const code of ['BASTION_SHELL_BROKER_UNAVAILABLE', 'BASTION_SHELL_USAGE', 'BASTION_SHELL_INTERNAL', 'BASTION_SHELL_REASON_TIMEOUT'] as const) {
    t.ok(go.includes(`"${new ShellError(code, '').userMessage}\\n"`), `${code}: the client's text is the code's`)
  }
})
