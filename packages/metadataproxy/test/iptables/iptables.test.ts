// install / check / remove against an in-memory model of iptables that answers with the
// exit codes iptables-nft 1.8.9 gives (checked by hand and by test/integration).

import t from 'tap'
import { checkRules, execaRunner, installRules, removeRules, splitRuleLine } from '../../src/iptables/iptables.ts'
import type { CommandRunner } from '../../src/iptables/iptables.ts'
import { dockerHost, fakeIptables } from '../fixtures/iptables.ts'
import { buildRules } from '../../src/iptables/rules.ts'
import type { RuleOptions } from '../../src/iptables/rules.ts'
import { isBastionError } from '../../src/errors.ts'

const opts: RuleOptions = { bridge: 'bastion0', proxyAddress: '10.250.0.1', proxyPort: 8775 }
const writes = (calls: string[][]) => calls.filter((c) => !['-S', '-C'].includes(c[5] as string))

async function rejection (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (err) { return err }
  throw new Error('expected a rejection')
}

// What a first install reports: our chains created, every rule added, except what exists.
const installed = (keep: (x: { description: string }) => boolean = () => true): string[] => {
  const { chains, rules } = buildRules(opts)
  return [...chains.filter((c) => c.owned).filter(keep).map((c) => `added ${c.description}`), ...rules.filter(keep).map((r) => `added ${r.description}`)]
}
const notShared = (x: { description: string }) => !x.description.includes('(Docker\'s rule)')

t.test('install on a Docker host puts our jumps first, ahead of Docker\'s own', async (t) => {
  const fake = fakeIptables(dockerHost)
  const { changed } = await installRules(fake, opts)
  t.same(changed, installed(notShared), 'creates our three chains (DOCKER-USER already exists) and every rule but Docker\'s FORWARD jump')
  t.same(fake.tables.nat?.get('PREROUTING'), ['-i bastion0 -j BASTION-IMDS', '-m addrtype --dst-type LOCAL -j DOCKER'])
  t.same(fake.tables.filter?.get('DOCKER-USER'), ['-i bastion0 -j BASTION-IMDS-GUARD', '-j RETURN'])
  t.same(fake.tables.filter?.get('INPUT'), ['-d 10.250.0.1/32 -p tcp -m tcp --dport 8775 -j BASTION-IMDS-INPUT', '-i lo -j ACCEPT'])
  t.same(fake.tables.filter?.get('BASTION-IMDS-GUARD'), [
    '-d 169.254.169.254/32 -p tcp -j REJECT --reject-with tcp-reset',
    '-d 169.254.169.254/32 -j REJECT --reject-with icmp-port-unreachable'
  ])
  t.same(fake.tables.nat?.get('BASTION-IMDS'), ['-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.250.0.1:8775'])
  t.same(fake.tables.filter?.get('FORWARD'), ['-j DOCKER-USER'], 'Docker\'s FORWARD jump is left as it is')
  t.ok(fake.calls.every((c) => c[1] === '-w' && c[2] === '5'), 'every call waits for the xtables lock')
})

t.test('install creates DOCKER-USER when Docker has not started yet', async (t) => {
  const fake = fakeIptables()
  const { changed } = await installRules(fake, opts)
  t.ok(changed.includes('added filter chain DOCKER-USER'))
  t.same(fake.tables.filter?.get('DOCKER-USER'), ['-i bastion0 -j BASTION-IMDS-GUARD'])
  t.same(fake.tables.filter?.get('FORWARD'), ['-j DOCKER-USER'], 'and the jump into it, as dockerd makes it')
})

t.test('a second install changes nothing and writes nothing', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const before = fake.calls.length
  t.same(await installRules(fake, opts), { changed: [] })
  t.same(writes(fake.calls.slice(before)), [])
  t.equal(fake.calls.length - before, 2, 'one -S per table, nothing else')
})

t.test('install repairs a rule deleted from the middle of the guard, keeping its order', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const guard = fake.tables.filter?.get('BASTION-IMDS-GUARD') as string[]
  const expected = [...guard]
  guard.splice(0, 1)
  const { changed } = await installRules(fake, opts)
  t.same(changed, ['added filter BASTION-IMDS-GUARD: reject TCP to IMDS with a reset'])
  t.same(guard, expected)
})

t.test('check before install reports every chain and rule missing', async (t) => {
  const fake = fakeIptables(dockerHost)
  const result = await checkRules(fake, opts)
  t.equal(result.ok, false)
  const { chains, rules } = buildRules(opts)
  t.same(result.missing, [...chains.filter((c) => c.chain !== 'DOCKER-USER'), ...rules.filter(notShared)].map((x) => x.description))
  t.same(writes(fake.calls), [], 'check never writes')
})

const clean = { ok: true, missing: [], bypassed: [], foreign: [] }

t.test('check reports exactly the one rule that was deleted by hand, and install puts back only it', async (t) => {
  for (const rule of buildRules(opts).rules) {
    const fake = fakeIptables(dockerHost)
    await installRules(fake, opts)
    t.same(await checkRules(fake, opts), clean)
    const list = fake.tables[rule.table]?.get(rule.chain) as string[]
    list.splice(list.indexOf(rule.args.join(' ')), 1)
    // Without Docker's jump into DOCKER-USER, our jump there is still in place but unreached.
    const bypassed = rule.chain === 'FORWARD' ? ['filter DOCKER-USER: traffic from bastion0 jumps to BASTION-IMDS-GUARD, is bypassed by: -P FORWARD ACCEPT'] : []
    t.same(await checkRules(fake, opts), { ...clean, ok: false, missing: [rule.description], bypassed }, rule.description)
    t.same((await installRules(fake, opts)).changed, [`added ${rule.description}`])
    t.same(await checkRules(fake, opts), clean)
  }
})

t.test('check reports a deleted chain together with its rules and the jump into it', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  fake.tables.filter?.set('DOCKER-USER', ['-j RETURN'])
  fake.tables.filter?.delete('BASTION-IMDS-GUARD')
  t.same((await checkRules(fake, opts)).missing, [
    'filter chain BASTION-IMDS-GUARD',
    'filter BASTION-IMDS-GUARD: reject TCP to IMDS with a reset',
    'filter BASTION-IMDS-GUARD: reject anything else to IMDS',
    'filter DOCKER-USER: traffic from bastion0 jumps to BASTION-IMDS-GUARD'
  ])
})

t.test('remove takes away our jumps and chains and leaves foreign rules and DOCKER-USER', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  fake.tables.filter?.get('DOCKER-USER')?.splice(1, 0, '-s 192.0.2.1/32 -j DROP')
  const { changed } = await removeRules(fake, opts)
  t.same(changed, [
    'nat PREROUTING: traffic from bastion0 jumps to BASTION-IMDS',
    'nat chain BASTION-IMDS',
    'filter INPUT: connections to the proxy at 10.250.0.1:8775 jump to BASTION-IMDS-INPUT',
    'filter DOCKER-USER: traffic from bastion0 jumps to BASTION-IMDS-GUARD',
    'filter chain BASTION-IMDS-GUARD',
    'filter chain BASTION-IMDS-INPUT'
  ])
  const after = fakeIptables(dockerHost)
  after.tables.filter?.get('DOCKER-USER')?.unshift('-s 192.0.2.1/32 -j DROP')
  t.same(fake.tables, after.tables, 'exactly the Docker host plus the foreign rule remain')
  t.same(await removeRules(fake, opts), { changed: [] }, 'a second remove changes nothing')
})

t.test('remove also clears jumps left by an older bridge name or port', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, { ...opts, bridge: 'old0', proxyPort: 9000 })
  await installRules(fake, opts)
  const { changed } = await removeRules(fake, opts)
  t.ok(changed.includes('nat PREROUTING: -i old0 -j BASTION-IMDS'))
  t.ok(changed.includes('filter INPUT: -d 10.250.0.1/32 -p tcp -m tcp --dport 9000 -j BASTION-IMDS-INPUT'))
  t.same(fake.tables, fakeIptables(dockerHost).tables)
})

t.test('remove leaves chains of another prefix alone', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  await installRules(fake, { ...opts, bridge: 'bti0', chainPrefix: 'BTI-TEST' })
  await removeRules(fake, { ...opts, bridge: 'bti0', chainPrefix: 'BTI-TEST' })
  t.same(await checkRules(fake, opts), clean)
})

t.test('a failing iptables -S is an error, not a missing rule', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  fake.fault = (argv) => argv[4] === '-S' ? { exitCode: 2, stdout: '', stderr: 'iptables v1.8.9: unknown option "--dport"\n' } : undefined
  const err = await rejection(checkRules(fake, opts))
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  t.match((err as Error).message, /exited with 2: iptables v1\.8\.9: unknown option "--dport"$/)
  t.match((err as Error).cause, { command: 'iptables', exitCode: 2, stderr: /unknown option/ })
})

t.test('not being root is an IPTABLES_FAILED error carrying the stderr', async (t) => {
  const fake = fakeIptables()
  fake.fault = () => ({ exitCode: 4, stdout: '', stderr: 'Permission denied (you must be root)' })
  for (const op of [installRules, checkRules, removeRules]) {
    const err = await rejection(op(fake, opts))
    t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_FAILED'), op.name)
    t.match((err as Error).message, /you must be root/)
  }
})

t.test('a runner that cannot start iptables is an IPTABLES_FAILED error with the cause', async (t) => {
  const cause = Object.assign(new Error('spawn iptables ENOENT'), { code: 'ENOENT' })
  const runner: CommandRunner = { run: async () => { throw cause } }
  const err = await rejection(installRules(runner, opts))
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  t.equal((err as Error).cause, cause)
  t.match((err as Error).message, /ENOENT/)
})

t.test('an aborted signal stops before the next command', async (t) => {
  const fake = fakeIptables()
  const controller = new AbortController()
  controller.abort(new Error('shutting down'))
  const err = await rejection(installRules(fake, opts, controller.signal))
  t.equal((err as Error).message, 'shutting down')
  t.same(fake.calls, [])
})

t.test('invalid options are refused before any command runs', async (t) => {
  const fake = fakeIptables()
  const err = await rejection(installRules(fake, { ...opts, bridge: '--flush' }))
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_CONFIG_INVALID'))
  t.same(fake.calls, [])
})

t.test('splitRuleLine reads back iptables -S quoting', async (t) => {
  t.same(splitRuleLine('-A INPUT -i lo -j ACCEPT'), ['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'])
  t.same(splitRuleLine('-A X -m comment --comment "a \\"b\\" c" -j RETURN'), ['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'RETURN'])
  t.same(splitRuleLine('-A X --comment ""  -j RETURN '), ['-A', 'X', '--comment', '', '-j', 'RETURN'])
})

t.test('execaRunner returns exit codes and output instead of throwing', async (t) => {
  const result = await execaRunner().run(process.execPath, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'])
  t.same(result, { exitCode: 3, stdout: 'out', stderr: 'err' })
})

t.test('execaRunner turns a missing command or a timeout into IPTABLES_FAILED', async (t) => {
  const missing = await rejection(execaRunner().run('/nonexistent/iptables', []))
  t.ok(isBastionError(missing, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  t.ok((missing as Error).cause !== undefined)
  const slow = await rejection(execaRunner({ timeoutMs: 50 }).run(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']))
  t.ok(isBastionError(slow, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  t.match((slow as Error).message, /timed out/)
})

t.test('execaRunner rejects with the abort reason when cancelled', async (t) => {
  const controller = new AbortController()
  const pending = execaRunner().run(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], controller.signal)
  const reason = new Error('stop')
  controller.abort(reason)
  t.equal(await rejection(pending), reason)
})

t.test('a rule put ahead of our jump that accepts the bridge\'s IMDS traffic is found and our jump moved back first', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['nat', 'PREROUTING', '-i bastion0 -d 169.254.169.254/32 -j ACCEPT'],
    ['filter', 'DOCKER-USER', '-i bastion0 -d 169.254.169.254/32 -j ACCEPT'],
    ['filter', 'DOCKER-USER', '-j RETURN'],
    ['filter', 'INPUT', '-i lo -j ACCEPT'],
    ['filter', 'FORWARD', '-i bastion0 -j ACCEPT']
  ]
  for (const [table, chain, line] of cases) {
    const fake = fakeIptables(dockerHost)
    await installRules(fake, opts)
    const list = fake.tables[table]?.get(chain) as string[]
    const ours = list[0] as string
    list.unshift(line)
    const check = await checkRules(fake, opts)
    t.equal(check.ok, false, `${chain}: ${line}`)
    t.same(check.missing, [])
    t.match(check.bypassed[0], `is bypassed by: -A ${chain} ${line}`)
    const { changed } = await installRules(fake, opts)
    t.match(changed, [/^moved back to position 1: /])
    t.same(list.slice(0, 2), [ours, line], 'ours first again, theirs kept right behind it')
    t.same(await checkRules(fake, opts), clean)
  }
})

t.test('rules ahead that cannot see the traffic, or can only drop it, are no drift', async (t) => {
  const harmless: Array<[string, string, string]> = [
    ['nat', 'PREROUTING', '-i other0 -j ACCEPT'],
    ['nat', 'PREROUTING', '-i bastion0 -d 10.9.9.9/32 -j ACCEPT'],
    ['nat', 'PREROUTING', '-i bastion0 -p udp -j ACCEPT'],
    ['nat', 'PREROUTING', '-i bastion0 -p tcp -m tcp --dport 443 -j ACCEPT'],
    ['filter', 'DOCKER-USER', '-i bastion0 -d 169.254.169.254/32 -j DROP'],
    ['filter', 'DOCKER-USER', '-i bastion0 -j LOG'],
    ['filter', 'INPUT', '-d 10.250.0.9/32 -j ACCEPT'],
    ['filter', 'INPUT', '-p tcp -m tcp --dport 22 -j ACCEPT']
  ]
  for (const [table, chain, line] of harmless) {
    const fake = fakeIptables(dockerHost)
    await installRules(fake, opts)
    fake.tables[table]?.get(chain)?.unshift(line)
    t.same(await checkRules(fake, opts), clean, `${chain}: ${line}`)
  }
})

t.test('a jump ahead of ours into a chain that accepts is followed into that chain', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  fake.tables.filter?.set('SOMEONE', ['-i other0 -j RETURN', '-d 169.254.0.0/16 -j ACCEPT'])
  fake.tables.filter?.get('DOCKER-USER')?.unshift('-j SOMEONE')
  t.match((await checkRules(fake, opts)).bypassed, ['filter DOCKER-USER: traffic from bastion0 jumps to BASTION-IMDS-GUARD, is bypassed by: -A SOMEONE -d 169.254.0.0/16 -j ACCEPT'])
  fake.tables.filter?.set('SOMEONE', ['-i other0 -j ACCEPT', '-j RETURN'])
  t.same(await checkRules(fake, opts), clean, 'a chain that only returns our traffic is fine')
})

t.test('our chains flushed are refilled in order, and a foreign rule in our chain is taken out', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const before = structuredClone(fake.tables)
  for (const chain of ['BASTION-IMDS-GUARD', 'BASTION-IMDS-INPUT']) (fake.tables.filter?.get(chain) as string[]).length = 0
  fake.tables.filter?.get('BASTION-IMDS-INPUT')?.push('-j ACCEPT')
  const check = await checkRules(fake, opts)
  t.equal(check.missing.length, 3)
  t.same(check.foreign, ['filter BASTION-IMDS-INPUT: holds a rule that is not ours: -A BASTION-IMDS-INPUT -j ACCEPT'])
  const { changed } = await installRules(fake, opts)
  t.same(changed, [
    'removed from our chain filter BASTION-IMDS-INPUT: -j ACCEPT',
    'added filter BASTION-IMDS-GUARD: reject TCP to IMDS with a reset',
    'added filter BASTION-IMDS-GUARD: reject anything else to IMDS',
    'added filter BASTION-IMDS-INPUT: reject proxy connections not from bastion0'
  ])
  t.same(fake.tables, before)
})

t.test('Docker\'s FORWARD jump, gone or behind an ACCEPT, is put back first and never removed', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const forward = fake.tables.filter?.get('FORWARD') as string[]
  forward.length = 0
  forward.push('-i bastion0 -j ACCEPT')
  t.same((await installRules(fake, opts)).changed, ['added filter FORWARD: everything jumps to DOCKER-USER (Docker\'s rule)'])
  t.same(forward, ['-j DOCKER-USER', '-i bastion0 -j ACCEPT'])
  forward.reverse()
  t.same((await installRules(fake, opts)).changed, [
    'moved back to position 1: filter FORWARD: everything jumps to DOCKER-USER (Docker\'s rule)',
    'moved back to position 1: filter DOCKER-USER: traffic from bastion0 jumps to BASTION-IMDS-GUARD'
  ])
  t.same(forward, ['-j DOCKER-USER', '-i bastion0 -j ACCEPT'])
  await removeRules(fake, opts)
  t.same(forward, ['-j DOCKER-USER', '-i bastion0 -j ACCEPT'], 'remove leaves it to Docker')
})

t.test('a rule iptables has but prints differently from rules.ts is an error, never a duplicate', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const guard = fake.tables.filter?.get('BASTION-IMDS-GUARD') as string[]
  // As if iptables printed our jump with its words in another order.
  const prerouting = fake.tables.nat?.get('PREROUTING') as string[]
  prerouting[0] = '-j BASTION-IMDS -i bastion0'
  fake.fault = (argv) => argv[4] === '-C' ? { exitCode: 0, stdout: '', stderr: '' } : undefined
  const err = await rejection(installRules(fake, opts))
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  t.match((err as Error).message, /prints it differently/)
  t.same(prerouting, ['-j BASTION-IMDS -i bastion0', '-m addrtype --dst-type LOCAL -j DOCKER'], 'nothing was added')
  t.equal(guard.length, 2)
})
