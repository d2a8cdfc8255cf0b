// Every error code is documented, and the documentation names no code that does not exist.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BastionError, codes, isBastionError } from '../src/errors.ts'

const DOC = fileURLToPath(new URL('../../../docs/metadataproxy/errors.md', import.meta.url))

t.test('docs/metadataproxy/errors.md lists every code, and only codes that exist', async (t) => {
  t.ok(existsSync(DOC), `${DOC} exists`)
  if (!existsSync(DOC)) return
  const doc = readFileSync(DOC, 'utf8')
  const documented = new Set(doc.match(/BASTION_METADATAPROXY_[A-Z0-9_]+/g) ?? [])
  for (const code of Object.keys(codes)) t.ok(documented.has(code), `${code} is documented`)
  for (const code of documented) t.ok(Object.hasOwn(codes, code), `${code} in the doc exists in codes`)
})

t.test('codes follow the BASTION_METADATAPROXY_ pattern and each has a message', async (t) => {
  for (const [code, message] of Object.entries(codes)) {
    t.match(code, /^BASTION_METADATAPROXY_[A-Z0-9_]+$/)
    t.ok(message.length > 0, `${code} has a message`)
  }
})

t.test('a BastionError carries its code, message and cause', async (t) => {
  const cause = new Error('root')
  const err = new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', 'docker is gone', { cause })
  t.ok(err instanceof Error)
  t.equal(err.name, 'BastionError')
  t.equal(err.code, 'BASTION_METADATAPROXY_DOCKER_UNAVAILABLE')
  t.equal(err.message, 'docker is gone')
  t.equal(err.cause, cause)
})

t.test('isBastionError matches the class, and the code when one is given', async (t) => {
  const err = new BastionError('BASTION_METADATAPROXY_STS_UNAVAILABLE', 'x')
  t.ok(isBastionError(err))
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_STS_UNAVAILABLE'))
  t.notOk(isBastionError(err, 'BASTION_METADATAPROXY_STS_ACCESS_DENIED'))
  const lookalike = Object.assign(new Error('x'), { code: 'BASTION_METADATAPROXY_STS_UNAVAILABLE' })
  t.notOk(isBastionError(lookalike))
  t.notOk(isBastionError(undefined))
})
