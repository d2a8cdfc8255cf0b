import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '@bastion/shell'
import { ConfigSchema as ProxyConfigSchema } from '@bastion/metadataproxy'
import { AuditConfigSchema, configuredRole, loadAuditConfig, parseKubeFlag, readAuditConfig, sources } from '../../src/audit/config.ts'
import { tempDir } from './fixtures.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))
const parse = (text: string) => parseConfigText(AuditConfigSchema, text)

t.test('the defaults read here are the shell\'s and the proxy\'s own', async (t) => {
  const shell = ShellConfigSchema.properties.shell.properties
  const proxy = ProxyConfigSchema.properties.metadataproxy.properties
  const c = parse('{}')
  t.equal(c.shell.audit.file, shell.audit.properties.file.default)
  t.equal(c.shell.audit.recordingsDir, shell.audit.properties.recordingsDir.default)
  t.equal(c.metadataproxy.credentials.rolePrefix, proxy.credentials.properties.rolePrefix.default)
  t.equal(c.metadataproxy.log.auditFile, undefined)
  t.same(c.audit.kubeAuditLogs, {})
})

t.test('the shipped example parses, and the other components accept its audit section', async (t) => {
  const text = readFileSync(EXAMPLE, 'utf8')
  t.same(parse(text).audit, { kubeAuditLogs: {}, cloudwatch: { kubernetes: true, kubeLogGroups: {}, pageSize: 10000, maxAttempts: 8, timeoutMs: 15000 }, hostDirs: {} }, 'the example shows the defaults')
  const withLogs = text.replace(/kubeAuditLogs: \{\}/, 'kubeAuditLogs: { hyades: [/var/log/kube/audit.log] }')
  t.same(parse(withLogs).audit.kubeAuditLogs, { hyades: ['/var/log/kube/audit.log'] })
  t.doesNotThrow(() => parseConfigText(ShellConfigSchema, withLogs), 'the shell accepts it')
  t.doesNotThrow(() => parseConfigText(ProxyConfigSchema, withLogs), 'the metadata proxy accepts it')
})

t.test('a bad audit section names the key', async (t) => {
  t.throws(() => parse('audit:\n  kubeAuditLog: {}\n'), /audit\.kubeAuditLog: unknown key/)
  t.throws(() => parse('audit:\n  kubeAuditLogs: { hyades: [] }\n'), /audit\.kubeAuditLogs\.hyades/)
  t.throws(() => parse('audit:\n  kubeAuditLogs: { "bad name": [/x] }\n'), /audit\.kubeAuditLogs/)
})

t.test('loadAuditConfig reads a file; sources come from it, flags win', async (t) => {
  const file = join(tempDir(t), 'bastion.yaml')
  writeFileSync(file, [
    'shell: { audit: { file: /logs/sessions.jsonl }, roles: { bob: bob-admin } }',
    'metadataproxy: { log: { auditFile: /logs/credentials.jsonl }, credentials: { rolePrefix: k8s-access/ } }',
    'audit: { kubeAuditLogs: { hyades: [/logs/hyades.log, /logs/hyades-old.log], pleiades: [/logs/pleiades.log] } }'
  ].join('\n'))
  const c = await loadAuditConfig(file)
  t.same(sources(c, {}), {
    sessions: '/logs/sessions.jsonl',
    credentials: '/logs/credentials.jsonl',
    kube: [{ cluster: 'hyades', file: '/logs/hyades.log' }, { cluster: 'hyades', file: '/logs/hyades-old.log' }, { cluster: 'pleiades', file: '/logs/pleiades.log' }]
  })
  t.same(sources(c, { sessions: '/s', credentials: '/c', kubeAudit: ['hyades=/k'] }), { sessions: '/s', credentials: '/c', kube: [{ cluster: 'hyades', file: '/k' }] })
  t.equal(sources(parse('{}'), {}).credentials, null)
  t.equal(configuredRole(c, 'bob'), 'bob-admin', 'the shell\'s role map, the prefix\'s path dropped')
  t.equal(configuredRole(c, 'alice'), 'alice')
  t.equal(configuredRole(parse('metadataproxy: { credentials: { rolePrefix: "team-" } }'), 'alice'), 'team-alice')
  for (const user of ['constructor', '__proto__', 'toString']) t.equal(configuredRole(c, user), user, `${user}: no inherited property is a role`)
})

t.test('--kube-audit takes cluster=file, or a bare path', async (t) => {
  t.same(parseKubeFlag('hyades=/var/log/a.log'), { cluster: 'hyades', file: '/var/log/a.log' })
  t.same(parseKubeFlag('/var/log/a=b.log'), { cluster: 'cluster', file: '/var/log/a=b.log' })
  t.same(parseKubeFlag('audit.log'), { cluster: 'cluster', file: 'audit.log' })
})

t.test('a missing config at the default path means the defaults, said so; named explicitly, it is an error', async (t) => {
  const missing = join(tempDir(t), 'bastion.yaml')
  const r = await readAuditConfig(missing, false)
  t.equal(r.note, `no config at ${missing}: using the default paths`)
  t.equal(r.config.shell.audit.file, '/var/log/bastion/sessions.jsonl')
  await t.rejects(readAuditConfig(missing, true), { code: 'BASTION_ADMIN_AUDIT_CONFIG_INVALID', message: /cannot read config file/ })
  const bad = join(tempDir(t), 'bad.yaml')
  writeFileSync(bad, 'audit: [1]\n')
  await t.rejects(readAuditConfig(bad, false), { code: 'BASTION_ADMIN_AUDIT_CONFIG_INVALID', message: /audit/ }, 'an invalid file is an error even at the default path')
})
