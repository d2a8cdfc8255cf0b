// --version reads the package.json of the command's own package, from source or built.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { packageVersion } from '../src/version.ts'

t.test("a module's version is its @bastion package's, however deep the module sits", async (t) => {
  const dir = t.testdir({
    'package.json': JSON.stringify({ name: 'not-ours', version: '9.9.9' }),
    pkg: { 'package.json': JSON.stringify({ name: '@bastion/x', version: '1.2.3' }), dist: { bin: { 'x.js': '' } } }
  })
  t.equal(packageVersion(pathToFileURL(join(dir, 'pkg/dist/bin/x.js')).href), '1.2.3')
})

t.test('a package.json of someone else on the way is passed over', async (t) => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: '@bastion/y', version: '0.4.0' }) })
  mkdirSync(join(dir, 'vendor'))
  writeFileSync(join(dir, 'vendor/package.json'), JSON.stringify({ name: 'vendor', version: '1.0.0' }))
  writeFileSync(join(dir, 'vendor/m.js'), '')
  t.equal(packageVersion(pathToFileURL(join(dir, 'vendor/m.js')).href), '0.4.0')
})

t.test('no package of ours above the module is an error, not a made-up version', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-version-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'm.js'), '')
  t.throws(() => packageVersion(pathToFileURL(join(dir, 'm.js')).href), /no @bastion\/\* package\.json above/)
})

t.test("this package's own version", async (t) => {
  t.equal(packageVersion(import.meta.url), '0.1.0')
})
