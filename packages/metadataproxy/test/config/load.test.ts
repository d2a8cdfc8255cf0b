// The one config file: defaults, unknown keys, types, cross-checks, where it is read
// from, and the shipped example.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TSchema } from '@sinclair/typebox'
import { configPath, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../../src/config/load.ts'
import { ConfigSchema, FORBIDDEN_PASSTHROUGH } from '../../src/config/schema.ts'
import { isBastionError } from '../../src/errors.ts'

const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))
const ACCOUNT = 'aws:\n  accountId: "123456789012"\n'

// The message of the CONFIG_INVALID error that parsing `text` throws.
function problems (text: string): string {
  try {
    parseConfig(text, 'test.yaml')
  } catch (err) {
    if (!isBastionError(err, 'BASTION_METADATAPROXY_CONFIG_INVALID')) throw err
    return err.message
  }
  throw new Error('parseConfig accepted the config')
}

const withProxy = (yaml: string): string => `${ACCOUNT}metadataproxy:\n${yaml.replace(/^/gm, '  ')}\n`

const DEFAULT_METADATAPROXY = {
  imds: { port: 8775, allowV1: false, maxHeaderBytes: 8192, maxConnectionsPerSource: 32, maxConnections: 4096, headersTimeoutMs: 5000, requestTimeoutMs: 10000, idleTimeoutMs: 5000 },
  admin: { host: '127.0.0.1', port: 8776 },
  credentials: {
    rolePrefix: 'k8s-access/',
    durationSeconds: 3600,
    minRemainingSeconds: 900,
    refreshBeforeSeconds: 1200,
    accessDeniedCacheSeconds: 30,
    stsTimeoutMs: 5000,
    retryBaseMs: 1000,
    retryMaxMs: 60000
  },
  passthrough: {
    upstream: 'http://169.254.169.254',
    paths: [
      'meta-data/instance-id',
      'meta-data/instance-type',
      'meta-data/placement/region',
      'meta-data/placement/availability-zone',
      'meta-data/placement/availability-zone-id',
      'meta-data/services/domain',
      'meta-data/services/partition',
      'dynamic/instance-identity/document'
    ],
    cacheSeconds: 300,
    timeoutMs: 2000
  },
  docker: { socketPath: '/var/run/docker.sock', resyncSeconds: 60, timeoutMs: 5000 },
  iptables: { chainPrefix: 'BASTION-IMDS', checkSeconds: 5, hostGuard: true },
  log: { level: 'info' }
}

t.test('an account id alone gives the documented defaults for everything else', async (t) => {
  const config = parseConfig(ACCOUNT)
  t.same(config, {
    aws: { accountId: '123456789012', region: 'us-east-1', partition: 'aws' },
    network: { name: 'bastion', bridge: 'bastion0', subnet: '10.250.0.0/24', egress: { default: 'accept', allow: [], deny: [], dns: [] } },
    metadataproxy: DEFAULT_METADATAPROXY
  })
})

t.test('given values win over defaults, and the rest of a section is still defaulted', async (t) => {
  const config = parseConfig(withProxy('imds:\n  allowV1: true\ncredentials:\n  rolePrefix: k8s-access/'))
  t.same(config.metadataproxy.imds, { port: 8775, allowV1: true, maxHeaderBytes: 8192, maxConnectionsPerSource: 32, maxConnections: 4096, headersTimeoutMs: 5000, requestTimeoutMs: 10000, idleTimeoutMs: 5000 })
  t.equal(config.metadataproxy.credentials.rolePrefix, 'k8s-access/')
  t.equal(config.metadataproxy.credentials.durationSeconds, 3600)
})

t.test('the result is frozen all the way down', async (t) => {
  const config = parseConfig(ACCOUNT)
  for (const [name, v] of Object.entries({
    config, aws: config.aws, metadataproxy: config.metadataproxy, imds: config.metadataproxy.imds,
    passthrough: config.metadataproxy.passthrough, paths: config.metadataproxy.passthrough.paths
  })) t.ok(Object.isFrozen(v), `${name} is frozen`)
  t.throws(() => { (config.metadataproxy.imds as { allowV1: boolean }).allowV1 = true }, TypeError)
  t.throws(() => { (config.metadataproxy.passthrough.paths as string[]).push('user-data') }, TypeError)
  t.equal(config.metadataproxy.imds.allowV1, false)
})

t.test('each parse gets its own objects, so freezing one leaves the schema defaults alone', async (t) => {
  const a = parseConfig(ACCOUNT)
  const b = parseConfig(withProxy('passthrough:\n  paths: [meta-data/instance-id]'))
  const c = parseConfig(ACCOUNT)
  t.not(a.metadataproxy.passthrough.paths, c.metadataproxy.passthrough.paths)
  t.same(b.metadataproxy.passthrough.paths, ['meta-data/instance-id'])
  t.same(c.metadataproxy.passthrough.paths, DEFAULT_METADATAPROXY.passthrough.paths)
})

t.test('unknown keys are refused, naming the key path', async (t) => {
  t.match(problems(withProxy('imds:\n  prt: 1')), /^ {2}- metadataproxy\.imds\.prt: unknown key$/m)
  t.match(problems(`${ACCOUNT}colour: blue\n`), /^ {2}- colour: unknown key$/m)
  t.match(problems(withProxy('imsd:\n  port: 1')), /^ {2}- metadataproxy\.imsd: unknown key$/m)
  t.match(problems('aws:\n  accountId: "123456789012"\n  regoin: eu-west-1\n'), /^ {2}- aws\.regoin: unknown key$/m)
  t.match(problems(`${ACCOUNT}network:\n  mtu: 1500\n`), /^ {2}- network\.mtu: unknown key$/m)
})

t.test('every problem is listed, once each', async (t) => {
  const msg = problems(withProxy('imds:\n  prt: 1\n  allowv1: true\nlog:\n  lvl: debug'))
  t.match(msg, /^invalid configuration in test\.yaml:/)
  const lines = msg.split('\n').slice(1)
  t.same(lines, ['  - metadataproxy.imds.prt: unknown key', '  - metadataproxy.imds.allowv1: unknown key', '  - metadataproxy.log.lvl: unknown key'])
})

t.test('other components’ sections are accepted as they are', async (t) => {
  const config = parseConfig(`${ACCOUNT}shell:\n  anything: 1\nrbacsync:\n  x: [1]\ntoolbox: {}\nclusters:\n  - name: prod\n`)
  t.same(config.shell, { anything: 1 })
  t.same(config.clusters, [{ name: 'prod' }])
  t.match(problems(`${ACCOUNT}shell: yes please\n`), /^ {2}- shell: Expected object$/m)
})

t.test('a missing aws.accountId is named', async (t) => {
  t.match(problems('aws:\n  region: eu-west-1\n'), /^ {2}- aws\.accountId: required key is missing$/m)
  t.match(problems('metadataproxy: {}\n'), /^ {2}- aws: required key is missing$/m)
  t.match(problems(''), /^ {2}- aws: required key is missing$/m, 'an empty file')
})

t.test('wrong types and out-of-range values are named with their key path', async (t) => {
  t.match(problems('aws:\n  accountId: 123456789012\n'), /^ {2}- aws\.accountId: Expected string$/m)
  t.match(problems('aws:\n  accountId: "12345"\n'), /^ {2}- aws\.accountId: Expected string to match/m)
  t.match(problems(withProxy('imds:\n  port: eighty')), /^ {2}- metadataproxy\.imds\.port: Expected integer$/m)
  t.match(problems(withProxy('imds:\n  port: 70000')), /^ {2}- metadataproxy\.imds\.port: Expected integer to be less or equal to 65535$/m)
  t.match(problems(withProxy('imds:\n  allowV1: "yes"')), /^ {2}- metadataproxy\.imds\.allowV1: Expected boolean$/m)
  t.match(problems(withProxy('credentials:\n  durationSeconds: 1.5')), /^ {2}- metadataproxy\.credentials\.durationSeconds: Expected integer$/m)
  t.match(problems(withProxy('log:\n  level: loud')), /^ {2}- metadataproxy\.log\.level: /m)
  t.match(problems(withProxy('imds: 8775')), /^ {2}- metadataproxy\.imds: Expected object$/m)
  t.match(problems('- aws\n'), /^ {2}- \(top level\): Expected object$/m)
})

t.test('durationSeconds is capped at 3600, and the error says why: role chaining lasts at most an hour', async (t) => {
  t.equal(parseConfig(withProxy('credentials:\n  durationSeconds: 3600')).metadataproxy.credentials.durationSeconds, 3600)
  for (const d of [3601, 7200, 43200]) {
    t.match(problems(withProxy(`credentials:\n  durationSeconds: ${d}`)),
      /^ {2}- metadataproxy\.credentials\.durationSeconds: Expected integer to be less or equal to 3600: .*role chaining.*one hour \(3600 seconds\)$/m, `${d} is refused`)
  }
  const other = problems(withProxy('credentials:\n  durationSeconds: 7200\nimds:\n  port: 70000'))
  t.match(other, /^ {2}- metadataproxy\.imds\.port: Expected integer to be less or equal to 65535$/m, 'other problems get no such note')
})

t.test('rolePrefix defaults to rbacsync\'s IAM path, so the proxy asks for the roles rbacsync makes', async (t) => {
  t.equal(parseConfig(ACCOUNT).metadataproxy.credentials.rolePrefix, 'k8s-access/')
  t.equal(parseConfig(withProxy('credentials:\n  rolePrefix: ""')).metadataproxy.credentials.rolePrefix, '', 'an explicit empty prefix is kept')
})

t.test('a YAML syntax error is reported as such', async (t) => {
  const msg = problems('aws: [\n')
  t.match(msg, /^invalid configuration in test\.yaml:\n {2}- YAML syntax: /)
  t.match(problems('aws:\n  accountId: "123456789012"\n bad-indent: 1\n'), /YAML syntax: /)
})

t.test('duplicate keys are refused, at any depth', async (t) => {
  t.match(problems(`${ACCOUNT}aws:\n  accountId: "210987654321"\n`), /YAML syntax: Map keys must be unique/)
  t.match(problems(withProxy('imds:\n  allowV1: false\n  allowV1: true')), /YAML syntax: Map keys must be unique/)
})

t.test('passthrough paths that could expose the host identity are refused', async (t) => {
  const forbidden = [
    'meta-data/iam', 'meta-data/iam/', 'meta-data/iam/info', 'meta-data/iam/security-credentials',
    'meta-data/iam/security-credentials/host-role', 'meta-data/iam/security-credentials-extended',
    'meta-data/identity-credentials', 'meta-data/identity-credentials/ec2/security-credentials/ec2-instance',
    'dynamic/instance-identity/pkcs7', 'dynamic/instance-identity/signature', 'dynamic/instance-identity/rsa2048',
    'user-data', 'user-data/', 'meta-data/../user-data', 'meta-data/instance-id/../../user-data'
  ]
  for (const p of forbidden) {
    const msg = problems(withProxy(`passthrough:\n  paths:\n    - meta-data/instance-id\n    - ${JSON.stringify(p)}`))
    t.match(msg, /^ {2}- metadataproxy\.passthrough\.paths\.1: /m, p)
  }
  t.match(problems(withProxy('passthrough:\n  paths: [meta-data/iam/info]')),
    /^ {2}- metadataproxy\.passthrough\.paths\.0: "meta-data\/iam\/info" may expose the host's identity and can never be passed through$/m)
})

t.test('every forbidden prefix is itself refused, and paths merely starting with its letters are not', async (t) => {
  for (const f of FORBIDDEN_PASSTHROUGH.filter((p) => p !== 'user-data')) {
    t.match(problems(withProxy(`passthrough:\n  paths: [${f}]`)), /may expose the host's identity/, f)
  }
  const ok = parseConfig(withProxy('passthrough:\n  paths: [meta-data/iam-notes, dynamic/instance-identity/document]'))
  t.same(ok.metadataproxy.passthrough.paths, ['meta-data/iam-notes', 'dynamic/instance-identity/document'])
})

t.test('refreshBeforeSeconds must lie above minRemainingSeconds and below durationSeconds', async (t) => {
  const creds = (o: string): string => withProxy(`credentials:\n${o.replace(/^/gm, '  ')}`)
  t.match(problems(creds('minRemainingSeconds: 900\nrefreshBeforeSeconds: 900')), /refreshBeforeSeconds: must be greater than minRemainingSeconds/)
  t.match(problems(creds('minRemainingSeconds: 900\nrefreshBeforeSeconds: 600')), /refreshBeforeSeconds: must be greater than minRemainingSeconds/)
  t.match(problems(creds('durationSeconds: 1200\nrefreshBeforeSeconds: 1200')), /refreshBeforeSeconds: must be less than durationSeconds/)
  t.match(problems(creds('durationSeconds: 900\nminRemainingSeconds: 60\nrefreshBeforeSeconds: 1000')), /refreshBeforeSeconds: must be less than durationSeconds/)
  const tight = parseConfig(creds('durationSeconds: 900\nminRemainingSeconds: 60\nrefreshBeforeSeconds: 61'))
  t.same([tight.metadataproxy.credentials.minRemainingSeconds, tight.metadataproxy.credentials.refreshBeforeSeconds], [60, 61])
  const both = problems(creds('durationSeconds: 900\nminRemainingSeconds: 1000\nrefreshBeforeSeconds: 950'))
  t.match(both, /must be greater than minRemainingSeconds/)
  t.match(both, /must be less than durationSeconds/)
})

t.test('retryMaxMs below retryBaseMs is refused', async (t) => {
  t.match(problems(withProxy('credentials:\n  retryBaseMs: 5000\n  retryMaxMs: 4999')), /credentials\.retryMaxMs: must be at least retryBaseMs/)
  t.equal(parseConfig(withProxy('credentials:\n  retryBaseMs: 5000\n  retryMaxMs: 5000')).metadataproxy.credentials.retryMaxMs, 5000)
})

t.test('a subnet with an octet over 255 is refused', async (t) => {
  t.match(problems(`${ACCOUNT}network:\n  subnet: 10.250.0.256/24\n`), /network\.subnet: not an IPv4 CIDR/)
  t.match(problems(`${ACCOUNT}network:\n  subnet: 10.250.0.0/8\n`), /network\.subnet: Expected string to match/)
  t.equal(parseConfig(`${ACCOUNT}network:\n  subnet: 172.30.0.0/16\n`).network.subnet, '172.30.0.0/16')
})

t.test('configPath prefers the flag, then BASTION_CONFIG, then the default', async (t) => {
  t.equal(configPath('/from/flag.yaml', { BASTION_CONFIG: '/from/env.yaml' }), '/from/flag.yaml')
  t.equal(configPath(undefined, { BASTION_CONFIG: '/from/env.yaml' }), '/from/env.yaml')
  t.equal(configPath(undefined, {}), '/etc/bastion/bastion.yaml')
  t.equal(DEFAULT_CONFIG_PATH, '/etc/bastion/bastion.yaml')
})

t.test('loadConfig reads and validates a file, naming it in errors', async (t) => {
  const dir = t.testdir({ 'good.yaml': ACCOUNT, 'bad.yaml': `${ACCOUNT}colour: blue\n` })
  t.equal((await loadConfig(join(dir, 'good.yaml'))).aws.accountId, '123456789012')
  await t.rejects(loadConfig(join(dir, 'bad.yaml')), { code: 'BASTION_METADATAPROXY_CONFIG_INVALID', message: new RegExp(`invalid configuration in ${join(dir, 'bad.yaml')}:`) })
})

t.test('an unreadable config file is CONFIG_UNREADABLE, with the path and the cause', async (t) => {
  const dir = t.testdir({ sub: {} })
  const missing = join(dir, 'missing.yaml')
  const err = await loadConfig(missing).then(() => undefined, (e: unknown) => e)
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_CONFIG_UNREADABLE'))
  t.match((err as Error).message, missing)
  t.match((err as Error).cause, { code: 'ENOENT' })
  await t.rejects(loadConfig(join(dir, 'sub')), { code: 'BASTION_METADATAPROXY_CONFIG_UNREADABLE' }, 'a directory')
})

t.test('the shipped example parses and shows the default of every metadataproxy option', async (t) => {
  const example = parseConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE)
  const defaults = parseConfig(ACCOUNT)
  t.same(example.metadataproxy, defaults.metadataproxy)
  t.same(example.network, defaults.network)
  t.same(example.aws, defaults.aws)
})

// Every option of the schema, as a dotted path. Other components' sections (objects that
// allow any key) and `clusters` belong to their owners and are not options of this one.
function leafPaths (schema: TSchema, prefix: string): string[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties
  if (props === undefined) return [prefix]
  if ((schema as { additionalProperties?: unknown }).additionalProperties !== false) return []
  return Object.entries(props).flatMap(([k, s]) => (s as { type?: string }).type === 'array' && prefix === '' ? [] : leafPaths(s, prefix === '' ? k : `${prefix}.${k}`))
}

t.test('the example file names every option of the schema in its section', async (t) => {
  const leaves = leafPaths(ConfigSchema, '')
  t.ok(leaves.length >= 30, `found ${leaves.length} options`)
  t.ok(leaves.includes('aws.stsEndpoint') && leaves.includes('metadataproxy.log.auditFile'), 'optional keys are included')
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n')
  for (const leaf of leaves) {
    // Follow the path down the indentation: each key (possibly commented out) must
    // appear below its parent, before the parent's section ends.
    let from = 0
    let indent = -1
    let found = true
    for (const key of leaf.split('.')) {
      const re = new RegExp(`^(\\s*)(#\\s*)?${key}:`)
      let at = -1
      for (let i = from; i < lines.length; i++) {
        const m = re.exec(lines[i] ?? '')
        const lineIndent = (lines[i] ?? '').search(/\S/)
        if (m !== null && (m[1] ?? '').length > indent) { at = i; indent = (m[1] ?? '').length; break }
        if (lineIndent >= 0 && lineIndent <= indent && !(lines[i] ?? '').trimStart().startsWith('#')) break
      }
      if (at < 0) { found = false; break }
      from = at + 1
    }
    t.ok(found, `${leaf} appears in the example`)
  }
})

t.test('every option of the schema has a description', async (t) => {
  const walk = (schema: TSchema, path: string): void => {
    const props = (schema as { properties?: Record<string, TSchema> }).properties
    if (props !== undefined && (schema as { additionalProperties?: unknown }).additionalProperties === false) {
      for (const [k, s] of Object.entries(props)) {
        if (path === '' && (s as { type?: string }).type === 'array') continue // clusters: owned elsewhere
        walk(s, path === '' ? k : `${path}.${k}`)
      }
      return
    }
    if (props === undefined) t.ok(typeof (schema as { description?: unknown }).description === 'string', `${path} has a description`)
  }
  walk(ConfigSchema, '')
})
