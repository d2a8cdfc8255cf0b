// The ship section: defaults, refusals by key path, the example file, and what it reads
// of the shell's and the proxy's sections (their own defaults).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '@bastion/shell'
import { ConfigSchema as ProxyConfigSchema } from '@bastion/metadataproxy'
import { loadShipConfig, shipSettings, shortHostname, ShipConfigSchema } from '../../src/ship/config.ts'
import { tempDir } from './fixtures.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))
const parse = (text: string) => parseConfigText(ShipConfigSchema, text)

t.test('the defaults: off, the three groups, the state in /var/lib/bastion/ship; the logs where their writers put them', async (t) => {
  const c = parse('{}')
  t.same(c.ship, { enabled: false, stateDir: '/var/lib/bastion/ship', intervalMs: 2000, sessionsLogGroup: '/bastion/sessions', credentialsLogGroup: '/bastion/credentials', recordingsLogGroup: '/bastion/recordings', backlogWarnSeconds: 300, recordings: { prefix: 'bastion/recordings/' } })
  t.equal(c.shell.audit.file, ShellConfigSchema.properties.shell.properties.audit.properties.file.default)
  t.same(shipSettings(c, 'bastion-a'), {
    host: 'bastion-a',
    region: 'us-east-1',
    endpoint: undefined,
    stateDir: '/var/lib/bastion/ship',
    intervalMs: 2000,
    backlogWarnSeconds: 300,
    sources: [
      { kind: 'sessions', file: '/var/log/bastion/sessions.jsonl', group: '/bastion/sessions' },
      { kind: 'credentials', file: null, group: '/bastion/credentials' },
      { kind: 'recordings', file: '/var/lib/bastion/ship/recordings-index.jsonl', group: '/bastion/recordings' }
    ]
  })
  const set = parse('aws: { region: eu-west-1 }\nship: { host: b-1, region: eu-west-2, endpoint: "http://127.0.0.1:1" }\nmetadataproxy: { log: { auditFile: /l/c.jsonl } }')
  t.match(shipSettings(set), { host: 'b-1', region: 'eu-west-2', endpoint: 'http://127.0.0.1:1', sources: [{}, { file: '/l/c.jsonl' }, {}] })
  t.equal(shortHostname('bastion-a.eu-west-1.compute.internal'), 'bastion-a')
  t.match(shipSettings(parse('{}')).host, /^[^.]+$/, 'this host\'s name up to its first dot')
})

t.test('the shipped example parses with every option shown, and the other components accept the section', async (t) => {
  const text = readFileSync(EXAMPLE, 'utf8')
  t.same(parse(text).ship, parse('{}').ship, 'the example shows the defaults')
  const on = text.replace(/^ {2}enabled: false/m, '  enabled: true')
  t.equal(parse(on).ship.enabled, true)
  t.doesNotThrow(() => parseConfigText(ShellConfigSchema, on), 'the shell accepts it')
  t.doesNotThrow(() => parseConfigText(ProxyConfigSchema, on), 'the metadata proxy accepts it')
  for (const key of Object.keys(ShipConfigSchema.properties.ship.properties)) t.match(text, new RegExp(`^ {2}#? ?${key}:`, 'm'), `the example has ship.${key}`)
})

t.test('bad values are refused by key path; a file is read', async (t) => {
  t.throws(() => parse('ship: { enable: true }'), /ship\.enable: unknown key/)
  t.throws(() => parse('ship: { host: "a:b" }'), /ship\.host/)
  t.throws(() => parse('ship: { intervalMs: 5 }'), /ship\.intervalMs/)
  t.throws(() => parse('ship: { sessionsLogGroup: "bad group" }'), /ship\.sessionsLogGroup/)
  t.throws(() => parse('ship: { stateDir: relative }'), /ship\.stateDir/)
  t.throws(() => parse('ship: { endpoint: "ftp://x" }'), /ship\.endpoint/)
  t.throws(() => parse('ship: { recordings: { bucket: "A_B" } }'), /ship\.recordings\.bucket/)
  const file = join(tempDir(t), 'b.yaml')
  writeFileSync(file, 'ship: { enabled: true }\n')
  t.equal((await loadShipConfig(file)).ship.enabled, true)
})
