// Every error code is documented, and the documentation names no code that does not exist.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { codes, describeError, isRbacsyncError, problem, RbacsyncError } from '../src/errors.ts'

const DOC = fileURLToPath(new URL('../../../docs/rbacsync/errors.md', import.meta.url))

t.test('docs/rbacsync/errors.md lists every code, and only codes that exist', async (t) => {
  t.ok(existsSync(DOC), `${DOC} exists`)
  if (!existsSync(DOC)) return
  const documented = new Set(readFileSync(DOC, 'utf8').match(/BASTION_RBACSYNC_[A-Z0-9_]+/g) ?? [])
  for (const code of Object.keys(codes)) t.ok(documented.has(code), `${code} is documented`)
  for (const code of documented) t.ok(Object.hasOwn(codes, code), `${code} in the doc exists in codes`)
})

t.test('codes follow the BASTION_RBACSYNC_ pattern and each has a message', async (t) => {
  for (const [code, message] of Object.entries(codes)) {
    t.match(code, /^BASTION_RBACSYNC_[A-Z0-9_]+$/)
    t.ok(message.length > 0, `${code} has a message`)
  }
})

t.test('an RbacsyncError carries its code, message and cause; isRbacsyncError checks class and code', async (t) => {
  const cause = new Error('root')
  const err = new RbacsyncError('BASTION_RBACSYNC_READ_FAILED', 'x', { cause })
  t.equal(err.name, 'RbacsyncError')
  t.equal(err.cause, cause)
  t.ok(isRbacsyncError(err))
  t.ok(isRbacsyncError(err, 'BASTION_RBACSYNC_READ_FAILED'))
  t.notOk(isRbacsyncError(err, 'BASTION_RBACSYNC_WRITE_FAILED'))
  t.notOk(isRbacsyncError(Object.assign(new Error('x'), { code: 'BASTION_RBACSYNC_READ_FAILED' })))
})

t.test('problems default to errors; errors are described with their SDK name', async (t) => {
  t.same(problem('BASTION_RBACSYNC_STALE_GROUP', 'g', 'm'), { code: 'BASTION_RBACSYNC_STALE_GROUP', severity: 'error', subject: 'g', message: 'm' })
  t.equal(problem('BASTION_RBACSYNC_STALE_GROUP', 'g', 'm', 'warning').severity, 'warning')
  t.equal(describeError(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })), 'Throttling: Rate exceeded')
  t.equal(describeError(new Error('plain')), 'plain')
  t.equal(describeError(new RbacsyncError('BASTION_RBACSYNC_READ_FAILED', 'says it all')), 'says it all')
  t.equal(describeError(new TypeError('TypeError: already named')), 'TypeError: already named')
  t.equal(describeError('text'), 'text')
})
