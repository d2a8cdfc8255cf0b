// The shell's view of /etc/bastion/bastion.yaml: the test bed's file and the shipped
// example parse, defaults fill the rest, and every problem is CONFIG_INVALID by key path.
import t, { type Test } from 'tap'
import { chmodSync, chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigProblem } from '@bastion/config'
import { loadShellConfig } from '../../src/config/load.ts'
import { ShellError } from '../../src/errors.ts'
import { ShellSection } from '../../src/config/schema.ts'

const BED_SCRIPT = fileURLToPath(new URL('../../../../test/bed/components/shell.sh', import.meta.url))
const EXAMPLE = fileURLToPath(new URL('../../../../etc/bastion.example.yaml', import.meta.url))

const DEFAULT_SHELL = {
  image: 'bastion/toolbox:latest',
  allowedGroup: 'bastion-users',
  roles: {},
  homeRoot: '/var/lib/bastion/home',
  stateDir: '/var/lib/bastion/state',
  dockerSocket: '/var/run/docker.sock',
  kubeconfigDir: '/etc/bastion/kube',
  stepTimeoutMs: 30000,
  idleTimeoutSeconds: 3600,
  maxSessionSeconds: 43200,
  gcIdleSeconds: 86400,
  revokeCheckSeconds: 60,
  revokedHomeDays: 30,
  addressHoldHours: 24,
  reason: 'off',
  broker: { runDir: '/run/bastion/shell', spareWorkers: 2, sessionsPerWorker: 32, maxSessions: 1024, maxSessionsPerUser: 32, handshakeTimeoutMs: 5000, maxUnauthenticated: 4096, maxUnauthenticatedPerUser: 8 },
  agent: { path: '/usr/local/libexec/bastion/bastion-agent', timeoutMs: 3000 },
  limits: { pids: 512, memoryMb: 2048, cpus: 1, tmpfsMb: 256 },
  homes: { sizeMb: 0 },
  audit: { file: '/var/log/bastion/sessions.jsonl', recordingsDir: '/var/log/bastion/recordings', record: true, maxSessionRecordingKb: 65536, maxUserRecordingsKb: 1048576 },
  log: { file: '/var/log/bastion/shell.log', level: 'info' }
}

// The YAML that test/bed/components/shell.sh writes, with its shell variables filled in
// from the script's own assignments (and a stand-in STS endpoint).
function bedConfig (): string {
  const script = readFileSync(BED_SCRIPT, 'utf8')
  const body = /<<YAML\n([\s\S]*?)\nYAML\n/.exec(script)?.[1]
  if (body === undefined) throw new Error(`no <<YAML document in ${BED_SCRIPT}`)
  const vars = new Map([...script.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']))
  vars.set('sts', 'http://127.0.0.1:4566')
  return body.replace(/\$([A-Za-z_]+)/g, (_, name: string) => vars.get(name) ?? `$${name}`)
}

// Writes `yaml` to a file and loads it; resolves to the ShellError it is refused with.
async function refusal (t: Test, yaml: string): Promise<ShellError> {
  const path = join(t.testdir({ 'bastion.yaml': yaml }), 'bastion.yaml')
  const err = await loadShellConfig(path).then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ShellError)) throw new Error(`accepted: ${yaml}`)
  return err
}

async function load (t: Test, yaml: string) {
  return loadShellConfig(join(t.testdir({ 'bastion.yaml': yaml }), 'bastion.yaml'))
}

// network.egress, which the shell accepts with the rest of the network section.
const DEFAULT_EGRESS = { default: 'accept', allow: [], deny: [], dns: [] }

t.test('the test bed\'s config file parses, with its values and defaults for the rest', async (t) => {
  const yaml = bedConfig()
  t.notMatch(yaml, '$', 'every variable was filled in')
  const config = await load(t, yaml)
  t.same(config.network, { name: 'bt-shell', bridge: 'btshell0', subnet: '10.252.0.0/24', egress: { ...DEFAULT_EGRESS, allow: [{ to: '10.253.0.1/32', tcp: [6443] }] } })
  t.same(config.shell, {
    ...DEFAULT_SHELL,
    image: 'bastion/toolbox:test',
    roles: { 'bt-carol': 'carol-admin' },
    homeRoot: '/var/lib/bastion-testbed/home',
    stateDir: '/var/lib/bastion-testbed/state',
    kubeconfigDir: '/etc/bastion-testbed/kube',
    revokeCheckSeconds: 3,
    broker: { ...DEFAULT_SHELL.broker, runDir: '/run/bastion-testbed/shell', sessionsPerWorker: 2 },
    agent: { ...DEFAULT_SHELL.agent, path: '/usr/local/libexec/bastion/bastion-agent-testbed' },
    limits: { pids: 128, memoryMb: 256, cpus: 1, tmpfsMb: 64 },
    homes: { sizeMb: 0 },
    audit: { ...DEFAULT_SHELL.audit, file: '/var/log/bastion-testbed/sessions.jsonl', recordingsDir: '/var/log/bastion-testbed/recordings' },
    log: { file: '/var/log/bastion-testbed/shell.log', level: 'debug' }
  })
  t.match(config.aws, { accountId: '123456789012', stsEndpoint: 'http://127.0.0.1:4566' }, 'other sections are kept as they are')
})

t.test('the shipped example parses for the shell too', async (t) => {
  const config = await loadShellConfig(EXAMPLE)
  t.same(config.shell, DEFAULT_SHELL)
  t.same(config.network, { name: 'bastion', bridge: 'bastion0', subnet: '10.250.0.0/24', egress: DEFAULT_EGRESS })
})

t.test('an empty file gives the documented defaults', async (t) => {
  const config = await load(t, '')
  t.same(config, { network: { name: 'bastion', bridge: 'bastion0', subnet: '10.250.0.0/24', egress: DEFAULT_EGRESS }, shell: DEFAULT_SHELL })
})

t.test('given values win and the rest of a section is still defaulted', async (t) => {
  const config = await load(t, 'shell:\n  limits:\n    pids: 64\n  audit:\n    record: false\n')
  t.same(config.shell.limits, { pids: 64, memoryMb: 2048, cpus: 1, tmpfsMb: 256 })
  t.same(config.shell.audit, { ...DEFAULT_SHELL.audit, record: false })
  t.equal(config.shell.image, DEFAULT_SHELL.image)
})

t.test('the result is frozen', async (t) => {
  const config = await load(t, '')
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.shell) && Object.isFrozen(config.shell.limits) && Object.isFrozen(config.shell.roles))
  t.throws(() => { (config.shell.limits as { pids: number }).pids = 1 }, TypeError)
})

t.test('an unknown key in shell is refused, naming its key path', async (t) => {
  const cases: Array<[string, string]> = [
    ['shell:\n  imagee: x\n', 'shell.imagee'],
    ['shell:\n  limits:\n    pid: 64\n', 'shell.limits.pid'],
    ['shell:\n  audit:\n    recordDir: /x\n', 'shell.audit.recordDir'],
    ['shell:\n  log:\n    lvl: debug\n', 'shell.log.lvl'],
    ['network:\n  mtu: 1500\n', 'network.mtu'],
    ['colour: blue\n', 'colour']
  ]
  for (const [yaml, path] of cases) {
    const err = await refusal(t, yaml)
    t.equal(err.code, 'BASTION_SHELL_CONFIG_INVALID')
    t.match(err.message, new RegExp(`^ {2}- ${path.replace(/\./g, '\\.')}: unknown key$`, 'm'), path)
  }
})

t.test('wrong types and out-of-range values are refused by key path', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['shell:\n  limits:\n    pids: 8\n', /^ {2}- shell\.limits\.pids: Expected integer to be greater or equal to 16$/m],
    ['shell:\n  limits:\n    cpus: lots\n', /^ {2}- shell\.limits\.cpus: Expected number$/m],
    ['shell:\n  stepTimeoutMs: 10\n', /^ {2}- shell\.stepTimeoutMs: /m],
    ['shell:\n  gcIdleSeconds: 1.5\n', /^ {2}- shell\.gcIdleSeconds: Expected integer$/m],
    ['shell:\n  roles:\n    alice: ../admin\n', /^ {2}- shell\.roles\.alice: Expected string to match/m],
    ['shell:\n  allowedGroup: "Bad Group"\n', /^ {2}- shell\.allowedGroup: Expected string to match/m],
    ['shell:\n  image: ""\n', /^ {2}- shell\.image: /m],
    ['shell:\n  kubeconfigDir: etc/kube\n', /^ {2}- shell\.kubeconfigDir: Expected string to match/m],
    ['shell:\n  log:\n    level: loud\n', /^ {2}- shell\.log\.level: /m],
    ['shell:\n  audit:\n    record: "yes"\n', /^ {2}- shell\.audit\.record: Expected boolean$/m],
    ['network:\n  name: "-bad"\n', /^ {2}- network\.name: Expected string to match/m],
    ['shell: 3\n', /^ {2}- shell: Expected object$/m]
  ]
  for (const [yaml, problem] of cases) {
    const err = await refusal(t, yaml)
    t.equal(err.code, 'BASTION_SHELL_CONFIG_INVALID', yaml)
    t.match(err.message, problem, yaml)
  }
})

t.test('a refusal names the file, lists every problem, and keeps the ConfigProblem as its cause', async (t) => {
  const dir = t.testdir({ 'bastion.yaml': 'shell:\n  imagee: x\n  limits:\n    pid: 1\n' })
  const path = join(dir, 'bastion.yaml')
  const err = await loadShellConfig(path).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ShellError)
  t.match(err, { code: 'BASTION_SHELL_CONFIG_INVALID', message: `invalid configuration in ${path}:\n  - shell.imagee: unknown key\n  - shell.limits.pid: unknown key` })
  t.ok((err as Error).cause instanceof ConfigProblem)
  t.notMatch((err as ShellError).userMessage, 'imagee', 'the user is not told the detail')
})

t.test('YAML syntax errors and duplicate keys are CONFIG_INVALID', async (t) => {
  t.match(await refusal(t, 'shell: [\n'), { code: 'BASTION_SHELL_CONFIG_INVALID', message: /YAML syntax: / })
  t.match(await refusal(t, 'shell:\n  image: a\n  image: b\n'), { code: 'BASTION_SHELL_CONFIG_INVALID', message: /Map keys must be unique/ })
})

t.test('a missing or unreadable file is CONFIG_INVALID, naming the path', async (t) => {
  const dir = t.testdir({ sub: {} })
  const missing = join(dir, 'missing.yaml')
  await t.rejects(loadShellConfig(missing), { code: 'BASTION_SHELL_CONFIG_INVALID', message: new RegExp(`cannot read config file ${missing}`) })
  await t.rejects(loadShellConfig(join(dir, 'sub')), { code: 'BASTION_SHELL_CONFIG_INVALID', message: /EISDIR/ })
})

t.test('a YAML alias bomb is refused without being expanded', async (t) => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)
  const path = join(t.testdir({ 'bastion.yaml': `${lines.join('\n')}\nshell:\n  image: *a11\n` }), 'bastion.yaml')
  const started = Date.now()
  await t.rejects(loadShellConfig(path), { message: /Excessive alias count/ })
  t.ok(Date.now() - started < 2000, 'refused at once')
})

// The runner's cache of the validated config (root-only directory, keyed by the file's
// identity): it is read while the file is unchanged and ignored whenever it cannot be trusted.
t.test('the config cache: written on a full load, read while the file is unchanged', async (t) => {
  const dir = t.testdir({ 'bastion.yaml': 'shell:\n  image: one:1\n', cache: {} })
  const path = join(dir, 'bastion.yaml')
  const cacheDir = join(dir, 'cache')
  chmodSync(cacheDir, 0o700)
  t.equal((await loadShellConfig(path, { cacheDir })).shell.image, 'one:1')
  const [file] = readdirSync(cacheDir)
  t.ok(file !== undefined && file.endsWith('.json'), 'one cache file')
  const cachePath = join(cacheDir, file as string)
  // Prove that the second load reads the cache: tamper with the cached value only.
  const entry = JSON.parse(readFileSync(cachePath, 'utf8')) as { config: { shell: { image: string } } }
  entry.config.shell.image = 'from-cache:1'
  writeFileSync(cachePath, JSON.stringify(entry))
  const cached = await loadShellConfig(path, { cacheDir })
  t.equal(cached.shell.image, 'from-cache:1')
  t.ok(Object.isFrozen(cached.shell), 'the cached config is frozen like a loaded one')

  t.test('a changed file is loaded fully again', async (t) => {
    writeFileSync(path, 'shell:\n  image: two:2\n')
    t.equal((await loadShellConfig(path, { cacheDir })).shell.image, 'two:2')
  })
  t.test('a corrupt cache is loaded fully again', async (t) => {
    writeFileSync(cachePath, '{not json')
    t.equal((await loadShellConfig(path, { cacheDir })).shell.image, 'two:2')
  })
  t.test('a cache directory others can write is never read', async (t) => {
    const e = JSON.parse(readFileSync(cachePath, 'utf8')) as { config: { shell: { image: string } } }
    e.config.shell.image = 'planted:1'
    writeFileSync(cachePath, JSON.stringify(e))
    chmodSync(cacheDir, 0o777)
    t.teardown(() => chmodSync(cacheDir, 0o700))
    t.equal((await loadShellConfig(path, { cacheDir })).shell.image, 'two:2')
  })
  t.test('a cache file not owned by root is never read', async (t) => {
    chmodSync(cacheDir, 0o700)
    const e = JSON.parse(readFileSync(cachePath, 'utf8')) as { config: { shell: { image: string } } }
    e.config.shell.image = 'planted:2'
    writeFileSync(cachePath, JSON.stringify(e))
    chownSync(cachePath, 65534, 65534)
    t.equal((await loadShellConfig(path, { cacheDir })).shell.image, 'two:2')
  })
  t.test('an invalid file is refused even with a cache', async (t) => {
    writeFileSync(path, 'shell:\n  imag: typo\n')
    const err = await loadShellConfig(path, { cacheDir }).then(() => undefined, (e: unknown) => e)
    t.match(err, { code: 'BASTION_SHELL_CONFIG_INVALID' })
  })
  t.test('a missing file is refused, and an unwritable cache never fails a load', async (t) => {
    const err = await loadShellConfig(join(dir, 'nope.yaml'), { cacheDir }).then(() => undefined, (e: unknown) => e)
    t.match(err, { code: 'BASTION_SHELL_CONFIG_INVALID' })
    writeFileSync(path, 'shell:\n  image: three:3\n')
    t.equal((await loadShellConfig(path, { cacheDir: join(dir, 'bastion.yaml', 'sub') })).shell.image, 'three:3')
  })
})

t.test('the broker\'s run directory must be absolute, short enough for socket paths, and without a trailing slash', async (t) => {
  for (const [runDir, why] of [['run/bastion', /shell\.broker\.runDir/], ['/run/bastion/', /shell\.broker\.runDir/], [`/run/${'x'.repeat(60)}`, /shell\.broker\.runDir/], ['/run/my dir', /shell\.broker\.runDir/], ['/run/bastion$', /shell\.broker\.runDir/]] as const) {
    const err = await refusal(t, `shell:\n  broker:\n    runDir: "${runDir}"\n`)
    t.equal(err.code, 'BASTION_SHELL_CONFIG_INVALID', runDir)
    t.match(err.message, why, runDir)
  }
  for (const [key, value] of [['spareWorkers', -1], ['spareWorkers', 33], ['sessionsPerWorker', 0], ['sessionsPerWorker', 257], ['maxSessions', 0], ['maxSessionsPerUser', 0], ['handshakeTimeoutMs', 100], ['maxUnauthenticated', 1], ['maxUnauthenticatedPerUser', 0]] as const) {
    const err = await refusal(t, `shell:\n  broker:\n    ${key}: ${value}\n`)
    t.match(err.message, `shell.broker.${key}`, `${key}: ${value}`)
  }
  const err = await refusal(t, 'shell:\n  agent:\n    timeoutMs: 10\n')
  t.match(err.message, 'shell.agent.timeoutMs')
})

t.test('the shipped example names every option of the shell section, each with a comment', async (t) => {
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n')
  const start = lines.indexOf('shell:')
  const section = lines.slice(start + 1, lines.findIndex((l, i) => i > start && /^\S/.test(l)))
  const keys = (schema: { properties?: Record<string, unknown> }, prefix: string): string[] =>
    Object.entries(schema.properties ?? {}).flatMap(([k, v]) => {
      const sub = v as { properties?: Record<string, unknown>, type?: string }
      return sub.type === 'object' && sub.properties !== undefined ? keys(sub, `${prefix}${k}.`) : [`${prefix}${k}`]
    })
  const documented = new Set<string>()
  const path: string[] = []
  for (const line of section) {
    const m = /^( +)([A-Za-z]+):(.*)$/.exec(line)
    if (m === null) continue
    const depth = (m[1] as string).length / 2 - 1
    path.splice(depth, path.length, m[2] as string)
    if ((m[3] as string).trim() !== '') {
      documented.add(path.join('.'))
      t.match(m[3], /#\s*\S/, `${path.join('.')} has a comment`)
    }
  }
  for (const key of keys(ShellSection, '')) t.ok(documented.has(key), `${key} is in the example`)
})
