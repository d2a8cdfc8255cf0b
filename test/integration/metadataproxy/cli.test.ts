// The command line on bad input: clear errors with the key path and the code, exit
// status 2, nothing half-done; --help, --config and BASTION_CONFIG.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { BIN, NODE } from '../../fixtures/proxy.ts'

const dir = mkdtempSync(join(tmpdir(), 'bastion-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const run = (args: string[], env: Record<string, string> = {}) => execa(NODE, [BIN, ...args], { reject: false, env: { NODE_OPTIONS: '', BASTION_CONFIG: '', ...env } })
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p }

t.test('--help lists the subcommands', async (t) => {
  const r = await run(['--help'])
  t.equal(r.exitCode, 0)
  for (const word of ['serve', 'iptables', 'config', '--config']) t.match(r.stdout, word)
  const ipt = await run(['iptables', '--help'])
  for (const word of ['install', 'check', 'remove']) t.match(ipt.stdout, word)
})

t.test('an unknown key is refused with its key path', async (t) => {
  const p = file('unknown.yaml', 'aws: {accountId: "123456789012"}\nmetadataproxy:\n  imds:\n    allowv1: true\n')
  const r = await run(['--config', p, 'config', 'check'])
  t.equal(r.exitCode, 2)
  t.match(r.stderr, 'metadataproxy.imds.allowv1: unknown key')
  t.match(r.stderr, 'BASTION_METADATAPROXY_CONFIG_INVALID')
})

t.test('malformed YAML, wrong types and missing keys each get a clear error', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['aws: [\n', /YAML syntax/],
    ['aws: {accountId: "123"}\n', /aws\.accountId: .*match/],
    ['metadataproxy: {}\n', /aws: required key is missing/],
    ['aws: {accountId: "123456789012"}\nmetadataproxy: {imds: {port: 99999}}\n', /metadataproxy\.imds\.port/],
    ['aws: {accountId: "123456789012"}\nmetadataproxy: {passthrough: {paths: [meta-data/iam/security-credentials]}}\n', /passthrough\.paths\.0: .*host's identity/]
  ]
  for (const [text, expected] of cases) {
    const r = await run(['--config', file('bad.yaml', text), 'config', 'check'])
    t.equal(r.exitCode, 2, text)
    t.match(r.stderr, expected, text)
    t.notMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for bad input')
  }
})

t.test('BASTION_CONFIG is used when --config is not given, and --config wins', async (t) => {
  const good = file('good.yaml', 'aws: {accountId: "123456789012", region: eu-west-1}\n')
  const r = await run(['config', 'check'], { BASTION_CONFIG: good })
  t.equal(r.exitCode, 0)
  t.match(JSON.parse(r.stdout), { aws: { region: 'eu-west-1' }, metadataproxy: { imds: { allowV1: false } } })
  const missing = await run(['--config', join(dir, 'nope.yaml'), 'config', 'check'], { BASTION_CONFIG: good })
  t.equal(missing.exitCode, 2)
  t.match(missing.stderr, /BASTION_METADATAPROXY_CONFIG_UNREADABLE/)
})

t.test('the shipped example config is valid', async (t) => {
  const r = await run(['--config', join(import.meta.dirname, '../../../etc/bastion.example.yaml'), 'config', 'check'])
  t.equal(r.exitCode, 0, r.stderr)
})
