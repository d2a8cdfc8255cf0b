// `bastion audit` as the operator runs it: options, config, output and its errors.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import { register, runAudit } from '../../src/commands/audit.ts'
import { readAuditConfig } from '../../src/audit/config.ts'
import { issued, kubeEvent, sessionEnd, sessionStart, tempDir, writeLines } from '../audit/fixtures.ts'

interface Run { stdout: string, stderr: string, error?: { code?: string, message: string } }

async function run (args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const program = new Command().name('bastion').option('-c, --config <path>').exitOverride()
  register(program)
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  const saved = { ...process.env }
  Object.assign(process.env, env)
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]
  process.stdout.write = ((s: string) => { out.push(s); return true }) as typeof process.stdout.write
  process.stderr.write = ((s: string) => { err.push(s); return true }) as typeof process.stderr.write
  try {
    await program.parseAsync(['node', 'bastion', ...args])
    return { stdout: out.join(''), stderr: err.join('') }
  } catch (e) {
    return { stdout: out.join(''), stderr: err.join(''), error: e as { code?: string, message: string } }
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
    process.env = saved
  }
}

function bed (t: { teardown (fn: () => void): void }): { dir: string, config: string } {
  const dir = tempDir(t)
  writeLines(join(dir, 'sessions.jsonl'), [
    sessionStart('johnsmith', 's1', '2026-11-26T20:00:00.000Z', { command: 'kubectl get pods -A', tty: false, recording: null }),
    sessionEnd('johnsmith', 's1', '2026-11-26T20:00:03.000Z'),
    '{"event":"session-start","user":"johnsmith", trunc'
  ])
  writeLines(join(dir, 'credentials.jsonl'), [issued('johnsmith', '2026-11-26T20:00:01.000Z', 'WFQW')])
  writeLines(join(dir, 'audit.log'), [kubeEvent('johnsmith', 'k1', '2026-11-26T20:00:02Z')])
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, [
    `shell: { audit: { file: ${dir}/sessions.jsonl } }`,
    `metadataproxy: { log: { auditFile: ${dir}/credentials.jsonl }, credentials: { rolePrefix: k8s-access/ } }`,
    `audit: { kubeAuditLogs: { hyades: [${dir}/audit.log] } }`
  ].join('\n'))
  return { dir, config }
}

t.test('prints the timeline from the configured trails, warnings on stderr', async (t) => {
  const { config } = bed(t)
  const r = await run(['-c', config, 'audit', '--user', 'johnsmith'])
  t.equal(r.error, undefined)
  t.match(r.stdout, /^Audit trail of johnsmith from the beginning to now: 1 ssh session, 1 credential issue, 1 Kubernetes call\n/)
  t.match(r.stdout, /20:00:00\.000Z {2}ssh .*command "kubectl get pods -A"[^]*20:00:01\.000Z {2}credentials .*\.\.\.WFQW[^]*20:00:02\.000Z {2}kubernetes {3}hyades: list pods \(cluster-wide\) -> 200 allow[^]*20:00:03\.000Z {2}ssh .*ended/)
  t.match(r.stderr, /^bastion audit: warning: ssh sessions: .*sessions\.jsonl: line 3 skipped, not valid JSON\n$/)
})

t.test('a login whose shell.roles role is named otherwise: his Kubernetes calls are found under that role\'s username', async (t) => {
  // The bed's pairing: login bt-carol gets role carol-admin (shell.roles), which rbacsync
  // maps to the Kubernetes user carol-admin; the proxy's session name is the login.
  const dir = tempDir(t)
  writeLines(join(dir, 'sessions.jsonl'), [sessionStart('bt-carol', 's1', '2026-11-26T20:00:00.000Z'), sessionEnd('bt-carol', 's1', '2026-11-26T20:00:09.000Z')])
  writeLines(join(dir, 'credentials.jsonl'), [issued('bt-carol', '2026-11-26T20:00:01.000Z', 'WFQW', 'carol-admin')])
  writeLines(join(dir, 'audit.log'), [
    kubeEvent('carol-admin', 'k1', '2026-11-26T20:00:02Z', { session: 'bt-carol', verb: 'get', resource: 'secrets', namespace: 'taurus' }),
    kubeEvent('bt-carol', 'k2', '2026-11-26T20:00:03Z', { role: 'carol-admin', session: 'bt-carol' })
  ])
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, [
    `shell: { audit: { file: ${dir}/sessions.jsonl }, roles: { bt-carol: carol-admin } }`,
    `metadataproxy: { log: { auditFile: ${dir}/credentials.jsonl } }`,
    `audit: { kubeAuditLogs: { hyades: [${dir}/audit.log] } }`
  ].join('\n'))
  const r = await run(['-c', config, 'audit', '--user', 'bt-carol', '--json'])
  t.equal(r.error, undefined)
  const doc = JSON.parse(r.stdout)
  t.same(doc.roles, ['carol-admin'])
  t.same(doc.entries.filter((e: { kind: string }) => e.kind === 'kubernetes').map((e: { auditId: string }) => e.auditId), ['k1'], 'the call as carol-admin, not one as a user named like the login')
  t.same(doc.warnings, [])
})

t.test('--json, --since and --until, and paths from the command line', async (t) => {
  const { dir } = bed(t)
  const r = await run(['audit', '-u', 'johnsmith', '--json', '--since', '2026-11-26T20:00:01Z', '--until', '2026-11-26T20:00:02Z',
    '--sessions', join(dir, 'sessions.jsonl'), '--credentials', join(dir, 'credentials.jsonl'), '--kube-audit', `hyades=${join(dir, 'audit.log')}`],
  { BASTION_CONFIG: join(dir, 'nothing-here.yaml') })
  t.equal(r.error?.code, 'BASTION_ADMIN_AUDIT_CONFIG_INVALID', 'a config named by BASTION_CONFIG must exist')
  const r2 = await run(['-c', join(dir, 'bastion.yaml'), 'audit', '-u', 'johnsmith', '--json', '--since', '2026-11-26T20:00:01Z', '--until', '2026-11-26T20:00:02Z',
    '--kube-audit', `hyades=${join(dir, 'audit.log')}`])
  const doc = JSON.parse(r2.stdout)
  t.same(doc.entries.map((e: { kind: string }) => e.kind), ['credentials', 'kubernetes'])
  t.equal(doc.since, '2026-11-26T20:00:01.000Z')
  t.equal(doc.warnings.length, 1)
})

t.test('an invalid config file is an error naming the key', async (t) => {
  const { dir } = bed(t)
  writeFileSync(join(dir, 'bad.yaml'), 'audit: { kubeAuditLog: {} }\n')
  const r = await run(['-c', join(dir, 'bad.yaml'), 'audit', '-u', 'johnsmith'])
  t.equal(r.error?.code, 'BASTION_ADMIN_AUDIT_CONFIG_INVALID')
  t.match(r.error?.message, /audit\.kubeAuditLog: unknown key/)
})

t.test('a bad user name or time is refused before any file is read', async (t) => {
  const { config } = bed(t)
  t.equal((await run(['-c', config, 'audit', '-u', '../etc'])).error?.code, 'BASTION_ADMIN_AUDIT_BAD_USER')
  t.equal((await run(['-c', config, 'audit', '-u', 'Root\u001b'])).error?.code, 'BASTION_ADMIN_AUDIT_BAD_USER')
  const bad = await run(['-c', config, 'audit', '-u', 'johnsmith', '--since', 'yesterday'])
  t.equal(bad.error?.code, 'BASTION_ADMIN_AUDIT_BAD_TIME')
  t.match(bad.error?.message, /--since "yesterday"/)
  t.equal((await run(['-c', config, 'audit', '-u', 'johnsmith', '--until', '3 days'])).error?.code, 'BASTION_ADMIN_AUDIT_BAD_TIME')
})

t.test('when no trail exists at all, it fails and lists them', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'c.yaml'), `shell: { audit: { file: ${dir}/s } }\nmetadataproxy: { log: { auditFile: ${dir}/p } }\naudit: { kubeAuditLogs: { hyades: [${dir}/k] } }\n`)
  const r = await run(['-c', join(dir, 'c.yaml'), 'audit', '-u', 'johnsmith'])
  t.equal(r.error?.code, 'BASTION_ADMIN_AUDIT_NO_SOURCE')
  t.match(r.error?.message, /none of the audit trails could be read:\n {2}- ssh sessions: .*\/s does not exist/)
  t.equal(r.stdout, '')
})

t.test('--user (or --verify) is required, and --help describes the command', async (t) => {
  const r = await run(['audit'])
  t.equal(r.error?.code, 'BASTION_ADMIN_AUDIT_NO_USER')
  t.match(r.error?.message, /give --user NAME for one person's timeline, or --verify/)
  const help = await run(['audit', '--help'])
  t.match(help.stdout, /print one user's timeline[^]*--verify[^]*--since <time>[^]*--json[^]*bastion audit --verify \[--sessions FILE\][^]*Rotated copies/)
})

t.test('paths from the command line win over the config; a note about the config comes first among the warnings', async (t) => {
  const { dir } = bed(t)
  const { config } = await readAuditConfig(join(dir, 'missing.yaml'), false)
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  process.stdout.write = ((s: string) => { out.push(s); return true }) as typeof process.stdout.write
  process.stderr.write = ((s: string) => { err.push(s); return true }) as typeof process.stderr.write
  try {
    await runAudit({ user: 'johnsmith', sessions: join(dir, 'sessions.jsonl'), credentials: join(dir, 'credentials.jsonl') }, { config, note: 'no config at /x: using the default paths' })
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
  }
  t.match(out.join(''), /1 ssh session, 1 credential issue, 0 Kubernetes calls/)
  t.match(err.join(''), /^bastion audit: warning: no config at \/x: using the default paths\n/)
})

t.test('--host-dir adds other hosts\' trails, each entry naming its host; a bad one is refused', async (t) => {
  const { dir, config } = bed(t)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'b'))
  writeLines(join(dir, 'b', 'sessions.jsonl'), [sessionStart('johnsmith', 'sb', '2026-11-26T20:00:01.500Z')])
  const r = await run(['-c', config, 'audit', '--user', 'johnsmith', '--json', '--host-dir', `bastion-b=${join(dir, 'b')}`])
  t.equal(r.error, undefined)
  const doc = JSON.parse(r.stdout)
  t.same(doc.entries.filter((e: { kind: string }) => e.kind === 'ssh').map((e: { host: string, session: string }) => `${e.session}@${e.host === 'bastion-b' ? 'b' : 'here'}`), ['s1@here', 'sb@b', 's1@here'])
  t.match(doc.warnings, [/sessions\.jsonl: line 3 skipped/, /bastion-b|b\/credentials\.jsonl does not exist/])
  const bad = await run(['-c', config, 'audit', '--user', 'johnsmith', '--host-dir', '/srv/x'])
  t.equal(bad.error?.code, 'BASTION_ADMIN_AUDIT_BAD_HOST_DIR')
})

t.test('what goes wrong before the trails are read (an EKS discovery that fails) is among the warnings', async (t) => {
  const { dir, config } = bed(t)
  writeFileSync(config, `${readFileSync(config, 'utf8')}\ntoolbox: { kubeconfig: { discover: { regions: [eu-west-1] }, eksEndpoint: "http://127.0.0.1:1" } }\n`.replace('audit: { kubeAuditLogs', 'audit: { cloudwatch: { timeoutMs: 1000 }, kubeAuditLogs'))
  const r = await run(['-c', config, 'audit', '--user', 'johnsmith', '--json'], { AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: undefined })
  t.equal(r.error, undefined, dir)
  t.match(JSON.parse(r.stdout).warnings, [/cannot list the EKS clusters of eu-west-1/])
})

t.test('--verify: an unbroken chain over the log and its rotated copies, then the first break named with its file and line', async (t) => {
  const { appendChained } = await import('../../../shell/src/audit-chain.ts')
  const { renameSync } = await import('node:fs')
  const dir = tempDir(t)
  const log = join(dir, 'sessions.jsonl')
  writeFileSync(log, '{"event":"session-start","old":true}\n')
  for (let i = 0; i < 3; i++) appendChained(log, { event: 'session-start', i })
  renameSync(log, `${log}.1`)
  for (let i = 3; i < 6; i++) appendChained(log, { event: 'session-start', i })
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, `shell: { audit: { file: ${log} } }\n`)
  const ok = await run(['-c', config, 'audit', '--verify'])
  t.equal(ok.error, undefined)
  t.equal(ok.stdout, `bastion audit: the session log's chain is unbroken: 7 lines in 2 files (${log}.1, ${log}); the first 1 line predate the chain and were not checked\n`)
  const lines = readFileSync(`${log}.1`, 'utf8').split('\n')
  lines[2] = (lines[2] as string).replace('"i":1', '"i":9')
  writeFileSync(`${log}.1`, lines.join('\n'))
  const broken = await run(['audit', '--verify', '--sessions', log], { BASTION_CONFIG: config })
  t.equal(broken.error?.code, 'BASTION_ADMIN_AUDIT_CHAIN_BROKEN')
  t.match(broken.error?.message, `${log}.1, line 4: "prev" does not match the line before it`)
  const none = await run(['-c', config, 'audit', '--verify', '--sessions', join(dir, 'nothing.jsonl')])
  t.equal(none.error?.code, 'BASTION_ADMIN_AUDIT_NO_SOURCE')
  const neither = await run(['-c', config, 'audit'])
  t.equal(neither.error?.code, 'BASTION_ADMIN_AUDIT_NO_USER')
})
