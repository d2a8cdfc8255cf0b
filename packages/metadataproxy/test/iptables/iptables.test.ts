// install / check / remove against an in-memory model of iptables that answers with the
// exit codes iptables-nft 1.8.9 gives (checked by hand and by test/integration).

import t from 'tap'
import { checkRules, execaRunner, installRules, removeRules, splitRuleLine } from '../../src/iptables/iptables.ts'
import type { CommandResult, CommandRunner } from '../../src/iptables/iptables.ts'
import { buildRules } from '../../src/iptables/rules.ts'
import type { RuleOptions } from '../../src/iptables/rules.ts'
import { isBastionError } from '../../src/errors.ts'

const opts: RuleOptions = { bridge: 'bastion0', proxyAddress: '10.250.0.1', proxyPort: 8775 }
const builtinTargets = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'DNAT', 'MASQUERADE'])

type Tables = Record<string, Map<string, string[]>>

// A fake kernel: tables of chains of rules (each rule its args joined by spaces).
function fakeIptables (setup: (tables: Tables) => void = () => {}) {
  const tables: Tables = {
    nat: new Map([['PREROUTING', []], ['INPUT', []], ['OUTPUT', []], ['POSTROUTING', []]]),
    filter: new Map([['INPUT', []], ['FORWARD', []], ['OUTPUT', []]])
  }
  const builtins = new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'FORWARD'])
  setup(tables)
  const calls: string[][] = []
  const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' })
  const fail = (exitCode: number, stderr: string): CommandResult => ({ exitCode, stdout: '', stderr })
  const runner: CommandRunner & { calls: string[][]; tables: Tables; fault?: (args: string[]) => CommandResult | undefined } = {
    calls,
    tables,
    async run (cmd, argv) {
      calls.push([cmd, ...argv])
      const fault = runner.fault?.(argv)
      if (fault !== undefined) return fault
      if (cmd !== 'iptables' || argv[0] !== '-w' || argv[2] !== '-t') return fail(2, 'fake: unexpected argv')
      const table = tables[argv[3] as string] as Map<string, string[]>
      const [op, chain = '', ...rest] = argv.slice(4)
      const rules = table.get(chain)
      const target = (args: string[]) => args[args.indexOf('-j') + 1] as string
      const badTarget = (args: string[]) => !builtinTargets.has(target(args)) && !table.has(target(args))
      switch (op) {
        case '-S': {
          const lines: string[] = []
          for (const [name] of table) lines.push(builtins.has(name) ? `-P ${name} ACCEPT` : `-N ${name}`)
          for (const [name, list] of table) for (const r of list) lines.push(`-A ${name} ${r}`)
          return ok(lines.join('\n') + '\n')
        }
        case '-N':
          if (rules !== undefined) return fail(1, 'iptables: Chain already exists.')
          table.set(chain, [])
          return ok()
        case '-C':
          if (badTarget(rest)) return fail(2, `iptables v1.8.9 (nf_tables): Chain '${target(rest)}' does not exist`)
          return rules?.includes(rest.join(' ')) === true ? ok() : fail(1, 'iptables: Bad rule (does a matching rule exist in that chain?).')
        case '-I': {
          const [pos, ...args] = rest
          if (rules === undefined || badTarget(args)) return fail(1, 'iptables: No chain/target/match by that name.')
          if (Number(pos) > rules.length + 1) return fail(1, 'iptables: Index of insertion too big.')
          rules.splice(Number(pos) - 1, 0, args.join(' '))
          return ok()
        }
        case '-D': {
          const i = rules?.indexOf(rest.join(' ')) ?? -1
          if (rules === undefined || i === -1) return fail(1, 'iptables: Bad rule (does a matching rule exist in that chain?).')
          rules.splice(i, 1)
          return ok()
        }
        case '-F':
          if (rules === undefined) return fail(1, 'iptables: No chain/target/match by that name.')
          rules.length = 0
          return ok()
        case '-X': {
          const referenced = [...table.values()].some((list) => list.some((r) => r.endsWith(`-j ${chain}`)))
          if (rules === undefined) return fail(1, 'iptables: No chain/target/match by that name.')
          if (rules.length > 0 || referenced) return fail(1, 'iptables: Directory not empty.')
          table.delete(chain)
          return ok()
        }
        default:
          return fail(2, `fake: unsupported ${String(op)}`)
      }
    }
  }
  return runner
}

// What Docker 20.10 leaves on a host before we start.
function dockerHost (tables: Tables): void {
  tables.nat?.set('DOCKER', ['-i docker0 -j RETURN'])
  tables.nat?.get('PREROUTING')?.push('-m addrtype --dst-type LOCAL -j DOCKER')
  tables.filter?.set('DOCKER-USER', ['-j RETURN'])
  tables.filter?.get('FORWARD')?.push('-j DOCKER-USER')
  tables.filter?.get('INPUT')?.push('-i lo -j ACCEPT')
}

const writes = (calls: string[][]) => calls.filter((c) => !['-S', '-C'].includes(c[5] as string))

async function rejection (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (err) { return err }
  throw new Error('expected a rejection')
}

t.test('install on a Docker host puts our jumps first, ahead of Docker\'s own', async (t) => {
  const fake = fakeIptables(dockerHost)
  const { changed } = await installRules(fake, opts)
  const { chains, rules } = buildRules(opts)
  t.same(changed, [...chains.filter((c) => c.chain !== 'DOCKER-USER'), ...rules].map((x) => x.description),
    'creates our three chains (DOCKER-USER already exists) and every rule')
  t.same(fake.tables.nat?.get('PREROUTING'), ['-i bastion0 -j BASTION-IMDS', '-m addrtype --dst-type LOCAL -j DOCKER'])
  t.same(fake.tables.filter?.get('DOCKER-USER'), ['-i bastion0 -j BASTION-IMDS-GUARD', '-j RETURN'])
  t.same(fake.tables.filter?.get('INPUT'), ['-d 10.250.0.1/32 -p tcp -m tcp --dport 8775 -j BASTION-IMDS-INPUT', '-i lo -j ACCEPT'])
  t.same(fake.tables.filter?.get('BASTION-IMDS-GUARD'), [
    '-d 169.254.169.254/32 -p tcp -j REJECT --reject-with tcp-reset',
    '-d 169.254.169.254/32 -j REJECT --reject-with icmp-port-unreachable'
  ])
  t.same(fake.tables.nat?.get('BASTION-IMDS'), ['-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.250.0.1:8775'])
  t.same(fake.tables.filter?.get('FORWARD'), ['-j DOCKER-USER'], 'FORWARD itself is not touched')
  t.ok(fake.calls.every((c) => c[1] === '-w' && c[2] === '5'), 'every call waits for the xtables lock')
})

t.test('install creates DOCKER-USER when Docker has not started yet', async (t) => {
  const fake = fakeIptables()
  const { changed } = await installRules(fake, opts)
  t.ok(changed.includes('filter chain DOCKER-USER'))
  t.same(fake.tables.filter?.get('DOCKER-USER'), ['-i bastion0 -j BASTION-IMDS-GUARD'])
})

t.test('a second install changes nothing and writes nothing', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const before = fake.calls.length
  t.same(await installRules(fake, opts), { changed: [] })
  t.same(writes(fake.calls.slice(before)), [])
})

t.test('install repairs a rule deleted from the middle of the guard, keeping its order', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  const guard = fake.tables.filter?.get('BASTION-IMDS-GUARD') as string[]
  const expected = [...guard]
  guard.splice(0, 1)
  const { changed } = await installRules(fake, opts)
  t.same(changed, ['filter BASTION-IMDS-GUARD: reject TCP to IMDS with a reset'])
  t.same(guard, expected)
})

t.test('check before install reports every chain and rule missing', async (t) => {
  const fake = fakeIptables(dockerHost)
  const result = await checkRules(fake, opts)
  t.equal(result.ok, false)
  const { chains, rules } = buildRules(opts)
  t.same(result.missing, [...chains.filter((c) => c.chain !== 'DOCKER-USER'), ...rules].map((x) => x.description))
  t.same(writes(fake.calls), [], 'check never writes')
  t.notOk(fake.calls.some((c) => c[5] === '-C' && c.at(-1)?.startsWith('BASTION-IMDS')), 'no -C into a chain that does not exist')
})

t.test('check reports exactly the one rule that was deleted by hand', async (t) => {
  for (const rule of buildRules(opts).rules) {
    const fake = fakeIptables(dockerHost)
    await installRules(fake, opts)
    t.same(await checkRules(fake, opts), { ok: true, missing: [] })
    const list = fake.tables[rule.table]?.get(rule.chain) as string[]
    list.splice(list.indexOf(rule.args.join(' ')), 1)
    t.same(await checkRules(fake, opts), { ok: false, missing: [rule.description] }, rule.description)
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
  t.same(await checkRules(fake, opts), { ok: true, missing: [] })
})

t.test('a real -C failure (exit 2) is an error, not a missing rule', async (t) => {
  const fake = fakeIptables(dockerHost)
  await installRules(fake, opts)
  fake.fault = (argv) => argv[4] === '-C' ? { exitCode: 2, stdout: '', stderr: 'iptables v1.8.9: unknown option "--dport"\n' } : undefined
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
