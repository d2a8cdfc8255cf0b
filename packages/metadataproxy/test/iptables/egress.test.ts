// The egress policy's rules are the argument for "containers reach only what they
// need", so their exact arguments are pinned here; integration/metadataproxy/egress.test.ts
// shows the kernel doing what they say.
import t from 'tap'
import { DEFAULT_EGRESS, egressRules, type EgressOptions } from '../../src/iptables/egress.ts'
import { buildRules } from '../../src/iptables/rules.ts'
import { ruleOptions } from '../../src/main.ts'
import { parseConfig } from '../../src/config/load.ts'

const base: EgressOptions = { bridge: 'bastion0', proxyAddress: '10.250.0.1', proxyPort: 8775, prefix: 'BASTION-IMDS', policy: DEFAULT_EGRESS, ipv6: true }
const lines = (opts: EgressOptions): string[] => egressRules(opts).rules.map((r) => `${r.table} ${r.chain} ${r.position ?? '-'} ${r.args.join(' ')}`)
const REJECT = '-j REJECT --reject-with icmp-admin-prohibited'

t.test('the default policy: metadata endpoints, neighbours and link-local rejected; the host only on the proxy port; no IPv6', async (t) => {
  t.same(egressRules(base).chains.map((c) => [c.table, c.chain, c.owned]), [
    ['filter', 'BASTION-IMDS-FWD', true],
    ['filter', 'BASTION-IMDS-HOST', true],
    ['filter6', 'BASTION-IMDS-V6', true]
  ])
  t.same(lines(base), [
    `filter BASTION-IMDS-FWD 1 -d 169.254.170.2/32 ${REJECT}`,
    `filter BASTION-IMDS-FWD 2 -d 169.254.170.23/32 ${REJECT}`,
    `filter BASTION-IMDS-FWD 3 -o bastion0 ${REJECT}`,
    `filter BASTION-IMDS-FWD 4 -d 169.254.0.0/16 ${REJECT}`,
    'filter BASTION-IMDS-HOST 1 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    'filter BASTION-IMDS-HOST 2 -d 10.250.0.1/32 -p tcp -m tcp --dport 8775 -j RETURN',
    `filter BASTION-IMDS-HOST 3 ${REJECT}`,
    'filter DOCKER-USER 2 -i bastion0 -j BASTION-IMDS-FWD',
    'filter INPUT 2 -i bastion0 -j BASTION-IMDS-HOST',
    'filter6 BASTION-IMDS-V6 1 -j REJECT --reject-with icmp6-adm-prohibited',
    'filter6 INPUT 1 -i bastion0 -j BASTION-IMDS-V6',
    'filter6 FORWARD 1 -i bastion0 -j BASTION-IMDS-V6',
    'filter6 FORWARD 2 -o bastion0 -j BASTION-IMDS-V6'
  ])
})

t.test('allows and DNS pass after the metadata endpoints and neighbours, before link-local and the denials; reject closes the rest', async (t) => {
  const policy = {
    default: 'reject' as const,
    allow: [{ to: '10.253.0.1', tcp: [6443, 5011] }, { to: '192.0.2.0/24' }, { to: '198.51.100.7/32', udp: [123], tcp: [443] }],
    deny: ['10.0.0.0/8'],
    dns: ['169.254.169.253']
  }
  const fwd = lines({ ...base, policy, ipv6: false }).filter((l) => l.startsWith('filter BASTION-IMDS-FWD'))
  t.same(fwd.map((l) => l.replace('filter BASTION-IMDS-FWD ', '')), [
    `1 -d 169.254.170.2/32 ${REJECT}`,
    `2 -d 169.254.170.23/32 ${REJECT}`,
    `3 -o bastion0 ${REJECT}`,
    '4 -d 169.254.169.253/32 -p udp -m udp --dport 53 -j RETURN',
    '5 -d 169.254.169.253/32 -p tcp -m tcp --dport 53 -j RETURN',
    '6 -d 10.253.0.1/32 -p tcp -m multiport --dports 6443,5011 -j RETURN',
    '7 -d 192.0.2.0/24 -j RETURN',
    '8 -d 198.51.100.7/32 -p tcp -m multiport --dports 443 -j RETURN',
    '9 -d 198.51.100.7/32 -p udp -m multiport --dports 123 -j RETURN',
    `10 -d 169.254.0.0/16 ${REJECT}`,
    `11 -d 10.0.0.0/8 ${REJECT}`,
    `12 ${REJECT}`
  ])
  const host = lines({ ...base, policy, ipv6: false }).filter((l) => l.startsWith('filter BASTION-IMDS-HOST'))
  t.same(host.map((l) => l.replace('filter BASTION-IMDS-HOST ', '')), [
    '1 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    '2 -d 10.250.0.1/32 -p tcp -m tcp --dport 8775 -j RETURN',
    '3 -d 169.254.169.253/32 -p udp -m udp --dport 53 -j RETURN',
    '4 -d 169.254.169.253/32 -p tcp -m tcp --dport 53 -j RETURN',
    '5 -d 10.253.0.1/32 -p tcp -m multiport --dports 6443,5011 -j RETURN',
    '6 -d 192.0.2.0/24 -j RETURN',
    '7 -d 198.51.100.7/32 -p tcp -m multiport --dports 443 -j RETURN',
    '8 -d 198.51.100.7/32 -p udp -m multiport --dports 123 -j RETURN',
    `9 ${REJECT}`
  ], 'the deny list and the default concern forwarded traffic; the host rejects everything not passed')
  t.notOk(lines({ ...base, policy, ipv6: false }).some((l) => l.startsWith('filter6')), 'no ip6tables rules on a kernel without IPv6')
})

t.test('no allow can open the other metadata endpoints or the neighbours: their rejects come first', async (t) => {
  const rules = egressRules({ ...base, policy: { ...DEFAULT_EGRESS, allow: [{ to: '0.0.0.0/0' }, { to: '169.254.0.0/16' }] } }).rules
    .filter((r) => r.chain === 'BASTION-IMDS-FWD')
  const firstPass = rules.findIndex((r) => r.args.includes('RETURN'))
  t.same(rules.slice(0, firstPass).map((r) => r.args.slice(0, 2).join(' ')), ['-d 169.254.170.2/32', '-d 169.254.170.23/32', '-o bastion0'])
})

t.test('an address that is not IPv4, or bad ports, is CONFIG_INVALID before any argv is built', async (t) => {
  const bad: Array<[Partial<typeof DEFAULT_EGRESS>, RegExp]> = [
    [{ allow: [{ to: '10.0.0.1/33' }] }, /network\.egress\.allow\.0\.to: "10\.0\.0\.1\/33"/],
    [{ allow: [{ to: '--flush' }] }, /allow\.0\.to/],
    [{ allow: [{ to: '10.0.0.1/8/8' }] }, /allow\.0\.to/],
    [{ allow: [{ to: '10.0.0.1/ 8' }] }, /allow\.0\.to/],
    [{ allow: [{ to: '10.0.0.1', tcp: [] }] }, /allow\.0\.tcp: must list 1 to 15 ports/],
    [{ allow: [{ to: '10.0.0.1', udp: [70000] }] }, /allow\.0\.udp/],
    [{ allow: [{ to: '10.0.0.1', tcp: Array.from({ length: 16 }, (_, i) => i + 1) }] }, /allow\.0\.tcp/],
    [{ deny: ['fd00::/8'] }, /network\.egress\.deny\.0/],
    [{ dns: ['10.0.0.2/32'] }, /network\.egress\.dns\.0: "10\.0\.0\.2\/32" is not an IPv4 address/]
  ]
  for (const [policy, message] of bad) {
    t.throws(() => egressRules({ ...base, policy: { ...DEFAULT_EGRESS, ...policy } }), { code: 'BASTION_METADATAPROXY_CONFIG_INVALID', message })
  }
})

// The host guard's accounts, as getent would find them on a set-up host.
const ids = (db: 'passwd' | 'group'): number => db === 'passwd' ? 998 : 997

t.test("ruleOptions carries the config's egress policy into the proxy's rule set, and the schema fills in the default", async (t) => {
  const config = parseConfig('aws: {accountId: "123456789012"}\nnetwork:\n  egress:\n    allow: [{to: 10.253.0.1/32, tcp: [6443]}]\n')
  const opts = ruleOptions(config, false, ids)
  t.same(opts.egress, { default: 'accept', allow: [{ to: '10.253.0.1/32', tcp: [6443] }], deny: [], dns: [] })
  const { rules } = buildRules(opts)
  t.ok(rules.some((r) => r.chain === 'BASTION-IMDS-HOST' && r.args.join(' ') === '-d 10.253.0.1/32 -p tcp -m multiport --dports 6443 -j RETURN'))
  t.notOk(rules.some((r) => r.table === 'filter6'))
  t.same(ruleOptions(parseConfig('aws: {accountId: "123456789012"}\n'), true, ids).egress, DEFAULT_EGRESS)
  t.ok(buildRules(ruleOptions(parseConfig('aws: {accountId: "123456789012"}\n'), true, ids)).rules.some((r) => r.table === 'filter6'))
})

t.test('ruleOptions gives the kernel the same per-source cap as the proxy\'s accept', async (t) => {
  t.equal(ruleOptions(parseConfig('aws: {accountId: "123456789012"}\n'), false, ids).perSource, 32, 'the default')
  t.equal(ruleOptions(parseConfig('aws: {accountId: "123456789012"}\nmetadataproxy: {imds: {maxConnectionsPerSource: 5}}\n'), false, ids).perSource, 5)
})

t.test('the schema refuses an egress entry that is not an address, or an unknown key', async (t) => {
  t.throws(() => parseConfig('aws: {accountId: "123456789012"}\nnetwork: {egress: {allow: [{to: "10.0.0.300"}]}}\n'), /network\.egress\.allow\.0\.to/)
  t.throws(() => parseConfig('aws: {accountId: "123456789012"}\nnetwork: {egress: {allow: [{to: "10.0.0.1", ports: [1]}]}}\n'), /network\.egress\.allow\.0\.ports: unknown key/)
  t.throws(() => parseConfig('aws: {accountId: "123456789012"}\nnetwork: {egress: {default: drop}}\n'), /network\.egress\.default/)
})
