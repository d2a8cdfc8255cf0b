// Every code `bastion audit` can end with is documented, and only those.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { auditCodes } from '../../src/audit/errors.ts'
import { checkCodes } from '../fixtures/error-docs.ts'

const DOC = fileURLToPath(new URL('../../../../docs/admin/audit.md', import.meta.url))

t.test('docs/admin/audit.md lists every audit code, and only codes that exist', async (t) => {
  const documented = new Set(readFileSync(DOC, 'utf8').match(/BASTION_ADMIN_AUDIT_[A-Z0-9_]+/g) ?? [])
  for (const code of Object.keys(auditCodes)) t.ok(documented.has(code), `${code} is documented`)
  for (const code of documented) t.ok(Object.hasOwn(auditCodes, code), `${code} in the doc exists`)
})

t.test('the command\'s sources use only codes that exist', async (t) => {
  for (const file of ['../../src/commands/audit.ts', '../../src/audit/config.ts']) {
    const used = readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8').match(/BASTION_ADMIN_AUDIT_[A-Z0-9_]+/g) ?? []
    t.ok(used.length > 0, `${file} uses codes`)
    for (const code of used) t.ok(Object.hasOwn(auditCodes, code), `${code} (in ${file}) exists`)
  }
})

// docs/admin/errors.md lists them too, with their meanings, and every one is raised.
checkCodes(t, auditCodes, 'BASTION_ADMIN_AUDIT_', ['audit', 'commands/audit.ts'])
