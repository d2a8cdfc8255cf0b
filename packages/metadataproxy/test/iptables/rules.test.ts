// The rule list is the whole security argument for fail-closed IMDS, so its exact
// arguments are pinned here; the integration suite checks iptables agrees with them.

import t from 'tap'
import { buildRules, DEFAULT_CHAIN_PREFIX, IMDS_ADDRESS } from '../../src/iptables/rules.ts'
import type { RuleOptions } from '../../src/iptables/rules.ts'
import { isBastionError } from '../../src/errors.ts'

const opts: RuleOptions = { bridge: 'bastion0', proxyAddress: '10.250.0.1', proxyPort: 8775 }

t.test('builds the exact chains and rules for the default prefix', async (t) => {
  const { chains, rules } = buildRules(opts)
  t.same(chains.map((c) => [c.table, c.chain, c.owned]), [
    ['nat', 'BASTION-IMDS', true],
    ['filter', 'DOCKER-USER', false],
    ['filter', 'BASTION-IMDS-GUARD', true],
    ['filter', 'BASTION-IMDS-INPUT', true]
  ])
  t.same(rules.map((r) => [r.table, r.chain, r.position, r.args.join(' ')]), [
    ['nat', 'BASTION-IMDS', 1, '-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.250.0.1:8775'],
    ['nat', 'PREROUTING', 1, '-i bastion0 -j BASTION-IMDS'],
    ['filter', 'BASTION-IMDS-GUARD', 1, '-d 169.254.169.254/32 -p tcp -j REJECT --reject-with tcp-reset'],
    ['filter', 'BASTION-IMDS-GUARD', 2, '-d 169.254.169.254/32 -j REJECT --reject-with icmp-port-unreachable'],
    ['filter', 'FORWARD', 1, '-j DOCKER-USER'],
    ['filter', 'DOCKER-USER', 1, '-i bastion0 -j BASTION-IMDS-GUARD'],
    ['filter', 'BASTION-IMDS-INPUT', 1, '! -i bastion0 -p tcp -j REJECT --reject-with tcp-reset'],
    ['filter', 'INPUT', 1, '-d 10.250.0.1/32 -p tcp -m tcp --dport 8775 -j BASTION-IMDS-INPUT']
  ])
  t.equal(DEFAULT_CHAIN_PREFIX, 'BASTION-IMDS')
  t.equal(IMDS_ADDRESS, '169.254.169.254')
})

t.test('with a per-source cap, the kernel drops a container\'s new connections past it, right after the bridge check', async (t) => {
  const { rules } = buildRules({ ...opts, perSource: 32 })
  t.same(rules.filter((r) => r.chain === 'BASTION-IMDS-INPUT').map((r) => [r.position, r.args.join(' ')]), [
    [1, '! -i bastion0 -p tcp -j REJECT --reject-with tcp-reset'],
    [2, '-i bastion0 -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m connlimit --connlimit-above 32 --connlimit-mask 32 --connlimit-saddr -j DROP']
  ])
  t.same(buildRules(opts).rules.filter((r) => r.args.includes('connlimit')), [], 'no cap, no rule')
})

t.test('without the host guard nothing touches OUTPUT (hostGuard off: the test bed)', async (t) => {
  const { rules } = buildRules(opts)
  t.notOk(rules.some((r) => r.chain === 'OUTPUT'))
  t.ok(rules.filter((r) => r.chain === 'PREROUTING' || r.chain === 'DOCKER-USER').every((r) => r.args[0] === '-i' && r.args[1] === 'bastion0'))
})

t.test('a chain prefix renames every chain and every jump into it', async (t) => {
  const { chains, rules } = buildRules({ ...opts, chainPrefix: 'BTI-AB12' })
  t.same(chains.filter((c) => c.owned).map((c) => c.chain), ['BTI-AB12', 'BTI-AB12-GUARD', 'BTI-AB12-INPUT'])
  const text = JSON.stringify(rules)
  t.notMatch(text, /BASTION-IMDS/)
  t.match(text, /-j","BTI-AB12-GUARD"/)
})

t.test('every chain is filled before the rule that jumps into it', async (t) => {
  const { chains, rules } = buildRules(opts)
  const owned = new Set(chains.filter((c) => c.owned).map((c) => c.chain))
  rules.forEach((rule, i) => {
    const target = rule.args[rule.args.indexOf('-j') + 1] as string
    if (!owned.has(target)) return
    const inside = rules.map((r, j) => ({ r, j })).filter(({ r }) => r.chain === target)
    t.ok(inside.length > 0 && inside.every(({ j }) => j < i), `${target} is filled before ${rule.chain} jumps to it`)
  })
})

t.test('jumps go first in the chains we share, positions in our chains follow list order', async (t) => {
  const { chains, rules } = buildRules(opts)
  const owned = new Set(chains.filter((c) => c.owned).map((c) => c.chain))
  for (const rule of rules.filter((r) => !owned.has(r.chain))) t.equal(rule.position, 1, rule.description)
  for (const chain of owned) {
    t.same(rules.filter((r) => r.chain === chain).map((r) => r.position), rules.filter((r) => r.chain === chain).map((_, i) => i + 1))
  }
})

t.test('descriptions are unique, so check can name each missing piece', async (t) => {
  const { chains, rules } = buildRules(opts)
  const all = [...chains, ...rules].map((x) => x.description)
  t.equal(new Set(all).size, all.length)
})

t.test('options that could turn into other iptables arguments are refused', async (t) => {
  const bad: Array<[string, Partial<RuleOptions>]> = [
    ['bridge', { bridge: '!' }],
    ['bridge', { bridge: '--flush' }],
    ['bridge', { bridge: 'bastion 0' }],
    ['bridge', { bridge: 'a-very-long-bridge-name' }],
    ['bridge', { bridge: 'bastion+' }],
    ['bridge', { bridge: '' }],
    ['proxyAddress', { proxyAddress: '10.250.0.1/24' }],
    ['proxyAddress', { proxyAddress: 'fd00::1' }],
    ['proxyPort', { proxyPort: 0 }],
    ['proxyPort', { proxyPort: 65536 }],
    ['proxyPort', { proxyPort: 80.5 }],
    ['imdsAddress', { imdsAddress: '169.254.169.253' as '169.254.169.254' }],
    ['chainPrefix', { chainPrefix: 'lower' }],
    ['chainPrefix', { chainPrefix: 'A'.repeat(23) }],
    ['chainPrefix', { chainPrefix: '-X' }],
    ['perSource', { perSource: 0 }],
    ['perSource', { perSource: 2.5 }]
  ]
  for (const [key, patch] of bad) {
    let caught: unknown
    try { buildRules({ ...opts, ...patch }) } catch (err) { caught = err }
    t.ok(isBastionError(caught, 'BASTION_METADATAPROXY_CONFIG_INVALID') && caught.message.includes(`option ${key}:`),
      `${key}: ${JSON.stringify(patch)} is refused`)
  }
  t.doesNotThrow(() => buildRules({ ...opts, imdsAddress: '169.254.169.254', chainPrefix: 'A'.repeat(22) }))
})

t.test('the host guard goes last: its chain and the OUTPUT jump, for IPv4 and IPv6', async (t) => {
  const { chains, rules } = buildRules({ ...opts, host: { proxyUid: 998, imdsGid: 997 } })
  t.same(chains.slice(-2).map((c) => [c.table, c.chain, c.owned]), [['filter', 'BASTION-IMDS-OUT', true], ['filter6', 'BASTION-IMDS-OUT', true]])
  t.same(rules.filter((r) => r.chain === 'OUTPUT').map((r) => [r.table, r.args.join(' ')]), [
    ['filter', '-d 169.254.169.254/32 -j BASTION-IMDS-OUT'],
    ['filter6', '-d fd00:ec2::254/128 -j BASTION-IMDS-OUT']
  ])
  t.same(buildRules({ ...opts, ipv6: false, host: { proxyUid: 998, imdsGid: 997 } }).chains.filter((c) => c.table === 'filter6'), [])
})
