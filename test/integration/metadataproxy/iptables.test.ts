// The fail-closed IMDS rules against this machine's real iptables (iptables-nft, with
// Docker running). Only rules are written and read; no packet is sent. A random bridge
// name, chain prefix, address and port keep this clear of the real BASTION-IMDS chains
// and of anyone else's test running at the same time.

import t from 'tap'
import { randomBytes, randomInt } from 'node:crypto'
import { buildRules, checkRules, execaRunner, installRules, isBastionError, removeRules, type CommandRunner, type RuleOptions, type Table } from '@bastion/metadataproxy'

const id = randomBytes(2).toString('hex')
const opts: RuleOptions = {
  bridge: `bti${id}`,
  // Never assigned on this host, so even the INPUT jump matches no real traffic.
  proxyAddress: `10.254.${randomInt(1, 255)}.1`,
  proxyPort: randomInt(40000, 60000),
  chainPrefix: `BTI-${id.toUpperCase()}`
}
const runner = execaRunner()
const foreign = ['-i', `bti${id}f`, '-m', 'comment', '--comment', `bti-foreign-${id}`, '-j', 'RETURN']

async function sh (cmd: string, args: string[]): Promise<string> {
  const r = await runner.run(cmd, args)
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

// iptables-save of one table as its lines; what an operator would look at.
async function saved (table: Table): Promise<string[]> {
  return (await sh('iptables-save', ['-t', table])).split('\n')
}

const count = (lines: string[], line: string) => lines.filter((l) => l === line).length
const clean = { ok: true, missing: [], bypassed: [], foreign: [] }
const ruleLine = (chain: string, args: string[]) => `-A ${chain} ${args.join(' ')}`


if (process.getuid?.() !== 0) throw new Error('the integration suite changes iptables and must run as root (see README)')

t.test('fail-closed IMDS rules on the real iptables', async (t) => {
  const { chains, rules } = buildRules(opts)
  const owned = chains.filter((c) => c.owned)
  // Docker's FORWARD jump into DOCKER-USER is in the set too, and on this host already there.
  const ours = rules.filter((r) => r.shared !== true)
  const all = [...owned, ...ours].map((x) => x.description)

  // Registered before anything is added, so a failing assertion still cleans up.
  t.teardown(async () => {
    await removeRules(runner, opts)
    await runner.run('iptables', ['-w', '5', '-D', 'DOCKER-USER', ...foreign])
  })

  t.test('check before install reports every piece missing', async (t) => {
    t.same(await checkRules(runner, opts), { ok: false, missing: all, bypassed: [], foreign: [] })
  })

  t.test('install adds everything, then check is ok and a second install changes nothing', async (t) => {
    t.same((await installRules(runner, opts)).changed, all.map((d) => `added ${d}`))
    t.same(await checkRules(runner, opts), clean)
    t.same(await installRules(runner, opts), { changed: [] })
  })

  t.test('iptables-save shows each chain and rule exactly once', async (t) => {
    for (const table of ['nat', 'filter'] as const) {
      const lines = await saved(table)
      for (const chain of owned.filter((c) => c.table === table)) {
        t.equal(lines.filter((l) => l.startsWith(`:${chain.chain} `)).length, 1, `${table} declares ${chain.chain}`)
      }
      for (const rule of ours.filter((r) => r.table === table)) {
        t.equal(count(lines, ruleLine(rule.chain, rule.args)), 1, rule.description)
      }
      // Docker's, which every proxy on this shared bed may put back at the same moment.
      for (const rule of rules.filter((r) => r.table === table && r.shared === true)) {
        t.ok(count(lines, ruleLine(rule.chain, rule.args)) >= 1, rule.description)
      }
    }
    const nat = await saved('nat')
    t.ok(nat.includes(`-A ${opts.chainPrefix} -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${opts.proxyAddress}:${opts.proxyPort}`))
  })

  t.test('our jumps come before Docker\'s in PREROUTING and DOCKER-USER', async (t) => {
    const prerouting = (await saved('nat')).filter((l) => l.startsWith('-A PREROUTING '))
    const ours = prerouting.indexOf(`-A PREROUTING -i ${opts.bridge} -j ${opts.chainPrefix}`)
    const docker = prerouting.findIndex((l) => l.endsWith(' -j DOCKER'))
    t.ok(ours >= 0 && (docker === -1 || ours < docker), `jump at ${ours}, Docker at ${docker}`)
    const dockerUser = (await saved('filter')).filter((l) => l.startsWith('-A DOCKER-USER '))
    const guard = dockerUser.indexOf(`-A DOCKER-USER -i ${opts.bridge} -j ${opts.chainPrefix}-GUARD`)
    const ret = dockerUser.indexOf('-A DOCKER-USER -j RETURN')
    t.ok(guard >= 0 && (ret === -1 || guard < ret), `guard at ${guard}, RETURN at ${ret}`)
  })

  t.test('a rule deleted by hand is reported alone and install puts back only it', async (t) => {
    for (const rule of ours) {
      await sh('iptables', ['-w', '5', '-t', rule.table, '-D', rule.chain, ...rule.args])
      t.same(await checkRules(runner, opts), { ...clean, ok: false, missing: [rule.description] }, `check names: ${rule.description}`)
      t.same(await installRules(runner, opts), { changed: [`added ${rule.description}`] })
    }
    t.same(await checkRules(runner, opts), clean)
  })

  t.test('iptables errors from the kernel become IPTABLES_FAILED', async (t) => {
    // The same binary without root: iptables-nft exits 4, which must not read as "missing".
    const unprivileged: CommandRunner = {
      run: (cmd, args, signal) => runner.run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...args], signal)
    }
    let caught: unknown
    try { await checkRules(unprivileged, opts) } catch (err) { caught = err }
    t.ok(isBastionError(caught, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
    t.match((caught as Error).message, /Permission denied/)
  })

  t.test('remove leaves no trace and keeps a foreign rule in DOCKER-USER', async (t) => {
    await sh('iptables', ['-w', '5', '-A', 'DOCKER-USER', ...foreign])
    const { changed } = await removeRules(runner, opts)
    t.same([...changed].sort(), [...owned.map((c) => c.description),
      ...ours.filter((r) => !owned.some((c) => c.chain === r.chain)).map((r) => r.description)].sort())
    t.same(await checkRules(runner, opts), { ok: false, missing: all, bypassed: [], foreign: [] })
    t.ok(count(await saved('filter'), '-A FORWARD -j DOCKER-USER') >= 1, 'Docker\'s FORWARD jump stays')
    const dump = [...await saved('nat'), ...await saved('filter')].join('\n')
    t.notMatch(dump, opts.chainPrefix as string)
    t.notMatch(dump, new RegExp(`-i ${opts.bridge} `))
    t.equal(count(await saved('filter'), ruleLine('DOCKER-USER', foreign)), 1, 'the foreign rule is still there, once')
    t.same(await removeRules(runner, opts), { changed: [] })
  })
})
