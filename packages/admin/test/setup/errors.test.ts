// Every setup/doctor code is documented in docs/admin/errors.md with its meaning, and an
// error carries its code, message and cause.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setupCodes, setupError, type SetupCode } from '../../src/setup/errors.ts'
import { AdminError } from '../../src/cli-errors.ts'

const DOC = readFileSync(fileURLToPath(new URL('../../../../docs/admin/errors.md', import.meta.url)), 'utf8')
const CODES = Object.keys(setupCodes) as SetupCode[]

t.test('each code has one row in docs/admin/errors.md, with its meaning', async (t) => {
  for (const code of CODES) {
    const rows = DOC.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`))
    t.equal(rows.length, 1, `${code} has one row`)
    t.ok(rows[0]?.includes(setupCodes[code]), `${code}'s row says what it means`)
  }
})

t.test('the doc names no setup or doctor code that does not exist', async (t) => {
  const documented = new Set(DOC.match(/BASTION_ADMIN_(SETUP|HOST)_[A-Z_]+/g) ?? [])
  t.ok(documented.size >= CODES.length)
  for (const code of documented) t.ok(Object.hasOwn(setupCodes, code), `${code} exists`)
})

t.test('codes follow the pattern and each meaning is one line', async (t) => {
  for (const [code, meaning] of Object.entries(setupCodes)) {
    t.match(code, /^BASTION_ADMIN_(SETUP|HOST)_[A-Z_]+$/)
    t.notMatch(meaning, /\n/)
  }
})

t.test('setupError makes an AdminError with the code, the message and the cause', async (t) => {
  const cause = new Error('EACCES')
  const err = setupError('BASTION_ADMIN_SETUP_COMMAND_FAILED', 'usermod failed', cause)
  t.ok(err instanceof AdminError)
  t.equal(err.code, 'BASTION_ADMIN_SETUP_COMMAND_FAILED')
  t.equal(err.message, 'usermod failed')
  t.equal(err.cause, cause)
  t.equal(setupError('BASTION_ADMIN_SETUP_USAGE', 'x').cause, undefined)
})
