// The front door as an outside auditor sees it: the pinned ssh-audit (PyPI; the test bed
// installs it) against the test bed's sshd on loopback, which runs with the shipped
// drop-in. No `fail` item; each `warn` is one that docs/shell/sshd.md lists with its
// reason; ssh-audit's hardened policy for Debian 12 passes; and the policy for upstream
// OpenSSH 9.2 differs only where the docs say why.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { bedFacts } from '../../fixtures/testbed.ts'
import { sshFacts } from '../../fixtures/ssh.ts'

const need = bedFacts()
const SSH_AUDIT = need('BASTION_TEST_SSH_AUDIT')
const facts = sshFacts()
const DOCS = readFileSync(join(import.meta.dirname, '../../../docs/shell/sshd.md'), 'utf8')

interface Notes { fail?: string[], warn?: string[], info?: string[] }
interface Algorithm { algorithm: string, notes: Notes, keysize?: number }
interface Audit {
  banner: { software: string }
  kex: Algorithm[]
  key: Algorithm[]
  enc: Algorithm[]
  mac: Algorithm[]
  recommendations: { warning?: unknown, [level: string]: unknown }
  additional_notes: string[]
}
interface PolicyError { mismatched_field: string, expected_required: string[], expected_optional: string[], actual: string[] }
interface PolicyResult { passed: boolean, errors: PolicyError[] }

// ssh-audit exits 0 (good), 2 (warnings) or 3 (failures); anything else is its own error.
async function audit (args: string[]): Promise<{ exitCode: number, json: unknown }> {
  // The DHEat rate test is skipped: OpenSSH 9.2 cannot rate-limit a source, and the
  // docs say why the throttling it has is enough; sshd-limits.test.ts tests that
  // throttling on an sshd of its own, so that this suite never floods the shared one.
  const r = await execa(SSH_AUDIT, ['-j', '--skip-rate-test', '-p', String(facts.port), ...args, '127.0.0.1'], { reject: false, timeout: 120_000 })
  if (![0, 2, 3].includes(r.exitCode ?? -1)) throw new Error(`ssh-audit exited with ${r.exitCode}: ${r.stdout}${r.stderr}`)
  return { exitCode: r.exitCode ?? -1, json: JSON.parse(r.stdout) }
}

const sections = (a: Audit): Array<[string, Algorithm[]]> => [['kex', a.kex], ['key', a.key], ['enc', a.enc], ['mac', a.mac]]

// The algorithms the docs' table of remaining warnings lists (its rows start with
// "| `name` |").
function documentedWarnings (): string[] {
  const section = DOCS.split(/^### /m).find((s) => s.startsWith('What ssh-audit still warns about'))
  if (section === undefined) throw new Error('docs/shell/sshd.md has no "What ssh-audit still warns about" section')
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string)
}

t.test('ssh-audit finds no failure, and every warning it gives is listed in the docs with its reason', async (t) => {
  const { exitCode, json } = await audit([])
  const a = json as Audit
  t.match(a.banner.software, /^OpenSSH_9\.2/, 'the OpenSSH the drop-in is written for')
  const fails = sections(a).flatMap(([s, list]) => list.filter((x) => (x.notes.fail ?? []).length > 0).map((x) => `${s} ${x.algorithm}: ${x.notes.fail?.join('; ')}`))
  t.same(fails, [], 'no fail item')
  t.not(exitCode, 3, 'ssh-audit does not report a failure')
  const warned = sections(a).flatMap(([, list]) => list.filter((x) => (x.notes.warn ?? []).length > 0).map((x) => x.algorithm))
  t.same([...warned].sort(), [...documentedWarnings()].sort(), 'the docs list exactly the algorithms ssh-audit warns about')
  // Its recommendations are those warnings again (remove or change them), never critical.
  t.same(Object.keys(a.recommendations).filter((level) => level !== 'warning'), [], `no critical recommendation: ${JSON.stringify(a.recommendations)}`)
  const recommended = JSON.stringify(a.recommendations.warning ?? {}).match(/"name":"[^"]+"/g)?.map((n) => n.slice(8, -1)) ?? []
  t.same(recommended.filter((n) => !warned.includes(n)), [], 'recommendations only about the warned algorithms')
  // The one note: strict key exchange (Terrapin) protects only clients that have it too.
  t.same(a.additional_notes.filter((n) => !/Terrapin .*chacha20-poly1305@openssh\.com/.test(n)), [], 'no other note than the Terrapin one')
  t.match(DOCS, /Terrapin/, 'which the docs explain')
})

t.test('the host keys offered are Ed25519 and RSA-4096 with SHA-2; the ECDSA host key sshd also has is not offered', async (t) => {
  const a = (await audit([])).json as Audit
  t.same(a.key.map((k) => k.algorithm), ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'])
  t.same(a.key.filter((k) => k.algorithm.startsWith('rsa-')).map((k) => k.keysize), [4096, 4096])
  t.match(readFileSync(facts.sshdConfig, 'utf8'), /^HostKey .*ecdsa.*$/m, 'sshd does load an ECDSA host key')
})

t.test("ssh-audit's hardened policy for Debian 12 (OpenSSH 9.2p1 as Debian ships it) passes", async (t) => {
  const { exitCode, json } = await audit(['-P', 'Hardened Debian 12 (version 3)'])
  const p = json as PolicyResult
  t.same(p.errors, [])
  t.equal(p.passed, true)
  t.equal(exitCode, 0)
})

t.test("the upstream OpenSSH 9.2 policy differs only where the docs say why: Debian's additions and ordering", async (t) => {
  const p = (await audit(['-P', 'Hardened OpenSSH Server v9.2 (version 3)'])).json as PolicyResult
  const byField = Object.fromEntries(p.errors.map((e) => [e.mismatched_field, e]))
  t.same(Object.keys(byField).sort(), ['Ciphers', 'Host keys', 'Key exchanges'])
  const sameSet = (e: PolicyError | undefined): boolean => e !== undefined && [...e.actual].sort().join() === [...e.expected_required].sort().join()
  t.ok(sameSet(byField.Ciphers), 'ciphers: the same ones, 256-bit keys first')
  t.ok(sameSet(byField['Host keys']), 'host keys: the same ones, Ed25519 first')
  const kex = byField['Key exchanges']
  t.same(kex?.actual, ['sntrup761x25519-sha512', ...(kex?.expected_required ?? []), 'kex-strict-s-v00@openssh.com'],
    "key exchange: upstream's list plus Debian's name for sntrup761 and the Terrapin countermeasure Debian backported")
  for (const why of ['kex-strict-s-v00@openssh.com', 'sntrup761x25519-sha512`', 'Hardened OpenSSH Server v9.2 (version 3)']) t.match(DOCS, why, `the docs explain ${why}`)
})

t.test('sshd -T shows every limit of the drop-in, in the form doctor compares', async (t) => {
  const r = await execa('/usr/sbin/sshd', ['-T', '-f', facts.sshdConfig, '-C', 'user=bt-alice,host=,addr='])
  const lines = r.stdout.split('\n')
  for (const line of ['maxstartups 100:30:300', 'persourcemaxstartups 64', 'persourcenetblocksize 32:64', 'logingracetime 30', 'maxauthtries 4',
    'maxsessions 10', 'clientaliveinterval 60', 'clientalivecountmax 3', 'requiredrsasize 3072', 'printlastlog yes']) {
    t.ok(lines.includes(line), line)
  }
  t.match(r.stdout, /^kexalgorithms sntrup761x25519-sha512,sntrup761x25519-sha512@openssh\.com,curve25519-sha256,/m)
  t.match(r.stdout, /^macs hmac-sha2-256-etm@openssh\.com,hmac-sha2-512-etm@openssh\.com,umac-128-etm@openssh\.com$/m)
})
