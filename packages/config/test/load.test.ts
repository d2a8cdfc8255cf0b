// The generic loader: defaults, unknown keys by key path, types, YAML errors, extra
// checks, freezing, and where the file comes from.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { ConfigProblem, DEFAULT_CONFIG_PATH, OBJECT_SECTIONS, configPath, foreignSections, parseConfigText, readConfigFile } from '../src/index.ts'

const Schema = Type.Object({
  mine: Type.Object({ port: Type.Integer({ default: 80 }), name: Type.String({ default: 'x' }) }, { additionalProperties: false, default: {} }),
  theirs: Type.Optional(Type.Object({}, { additionalProperties: true }))
}, { additionalProperties: false })

const problems = (fn: () => unknown): string[] => {
  try { fn() } catch (err) { return err instanceof ConfigProblem ? err.problems : ['not a ConfigProblem'] }
  return []
}

t.test('defaults fill what the file leaves out, and the result is frozen deeply', async (t) => {
  const c = parseConfigText(Schema, 'theirs: {a: 1}\n')
  t.same(c, { mine: { port: 80, name: 'x' }, theirs: { a: 1 } })
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.mine))
})

t.test('unknown keys are refused by key path, at any depth', async (t) => {
  t.same(problems(() => parseConfigText(Schema, 'mine: {prot: 1}\nother: 2\n')).sort(), ['mine.prot: unknown key', 'other: unknown key'])
})

t.test('a foreign section is accepted as it is', async (t) => {
  t.same(problems(() => parseConfigText(Schema, 'theirs: {anything: [1, 2]}\n')), [])
})

t.test('wrong types name the key; a YAML error says so; an empty file is all defaults', async (t) => {
  t.match(problems(() => parseConfigText(Schema, 'mine: {port: abc}\n')), [/^mine\.port: Expected integer/])
  t.match(problems(() => parseConfigText(Schema, 'mine: [\n')), [/^YAML syntax: /])
  t.match(problems(() => parseConfigText(Schema, 'a: 1\na: 2\n')), [/^YAML syntax: .*unique/i])
  t.same(parseConfigText(Schema, ''), { mine: { port: 80, name: 'x' } })
})

t.test('extra checks run after the schema and report their own problems', async (t) => {
  t.same(problems(() => parseConfigText(Schema, 'mine: {port: 1}\n', 'f.yaml', (c) => c.mine.port < 10 ? ['mine.port: too low'] : [])), ['mine.port: too low'])
})

t.test('readConfigFile names an unreadable file and keeps the cause', async (t) => {
  const dir = t.testdir({ 'ok.yaml': 'mine: {port: 8080}\n' })
  t.equal((await readConfigFile(Schema, join(dir, 'ok.yaml'))).mine.port, 8080)
  const err = await readConfigFile(Schema, join(dir, 'missing.yaml')).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ConfigProblem && err.unreadable)
  t.match((err as Error).message, 'missing.yaml')
  t.match((err as Error).cause, { code: 'ENOENT' })
  writeFileSync(join(dir, 'bad.yaml'), 'mine: {x: 1}\n')
  const bad = await readConfigFile(Schema, join(dir, 'bad.yaml')).then(() => undefined, (e: unknown) => e)
  t.match((bad as Error).message, /^invalid configuration in .*bad\.yaml:\n {2}- mine\.x: unknown key$/)
})

t.test('configPath: the flag, then a non-empty BASTION_CONFIG, then the default', async (t) => {
  t.equal(configPath('/a.yaml', { BASTION_CONFIG: '/b.yaml' }), '/a.yaml')
  t.equal(configPath(undefined, { BASTION_CONFIG: '/b.yaml' }), '/b.yaml')
  t.equal(configPath(undefined, { BASTION_CONFIG: '' }), DEFAULT_CONFIG_PATH)
  t.equal(configPath(undefined, {}), '/etc/bastion/bastion.yaml')
})

t.test('a YAML alias bomb is a config problem, not a crash', async (t) => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'
  t.match(problems(() => parseConfigText(Schema, bomb)), [/^YAML: .*alias/i])
})

t.test('foreignSections: every section but the named ones, accepted unread', async (t) => {
  t.same(Object.keys(foreignSections('aws', 'network', 'metadataproxy')).sort(), ['audit', 'clusters', 'rbacsync', 'shell', 'ship', 'toolbox', 'users'])
  t.same(Object.keys(foreignSections('aws', 'clusters', 'rbacsync')).sort(), ['audit', 'metadataproxy', 'network', 'shell', 'ship', 'toolbox', 'users'])
  t.same(Object.keys(foreignSections()).sort(), [...OBJECT_SECTIONS, 'clusters'].sort())
  const Schema = Type.Object({ mine: Type.Object({ a: Type.Integer({ default: 1 }) }, { additionalProperties: false, default: {} }), ...foreignSections() }, { additionalProperties: false })
  const config = parseConfigText(Schema, 'mine: {}\nshell: {anything: [1, 2]}\nclusters: [{name: x}]\n')
  t.same(config.mine, { a: 1 })
  t.same(config.shell, { anything: [1, 2] }, 'a foreign section passes unread')
  t.match(problems(() => parseConfigText(Schema, 'shell: 3\n')), [/shell/], 'but it must still be an object')
  t.match(problems(() => parseConfigText(Schema, 'clusters: {}\n')), [/clusters/], 'and clusters a list')
  t.match(problems(() => parseConfigText(Schema, 'shel: {}\n')), [/shel: unknown key/], 'an unknown section is still refused')
})
