// The host guard's rules are the whole argument that no host process but the proxy (and
// the suite's own commands) reaches IMDS, so their arguments are pinned exactly; the
// integration suite (host-guard.test.ts) checks the kernel applies them so.
import t from 'tap'
import { hostGuardRules } from '../../src/iptables/host-guard.ts'

const base = { prefix: 'BASTION-IMDS', imdsAddress: '169.254.169.254', proxyUid: 998, imdsGid: 997, ipv6: true }

t.test('the proxy user and the IMDS group pass; everyone else is reset or rejected', async (t) => {
  const { chains, rules } = hostGuardRules(base)
  t.same(chains.map((c) => [c.table, c.chain, c.owned]), [['filter', 'BASTION-IMDS-OUT', true], ['filter6', 'BASTION-IMDS-OUT', true]])
  t.same(rules.map((r) => [r.table, r.chain, r.position, r.args.join(' ')]), [
    ['filter', 'BASTION-IMDS-OUT', 1, '-m owner --uid-owner 998 -j RETURN'],
    ['filter', 'BASTION-IMDS-OUT', 2, '-m owner --gid-owner 997 --suppl-groups -j RETURN'],
    ['filter', 'BASTION-IMDS-OUT', 3, '-p tcp -j REJECT --reject-with tcp-reset'],
    ['filter', 'BASTION-IMDS-OUT', 4, '-j REJECT --reject-with icmp-port-unreachable'],
    ['filter', 'OUTPUT', 1, '-d 169.254.169.254/32 -j BASTION-IMDS-OUT'],
    ['filter6', 'BASTION-IMDS-OUT', 1, '-m owner --uid-owner 998 -j RETURN'],
    ['filter6', 'BASTION-IMDS-OUT', 2, '-m owner --gid-owner 997 --suppl-groups -j RETURN'],
    ['filter6', 'BASTION-IMDS-OUT', 3, '-p tcp -j REJECT --reject-with tcp-reset'],
    ['filter6', 'BASTION-IMDS-OUT', 4, '-j REJECT --reject-with icmp6-port-unreachable'],
    ['filter6', 'OUTPUT', 1, '-d fd00:ec2::254/128 -j BASTION-IMDS-OUT']
  ])
  // The OUTPUT jumps must be the first thing the host's IMDS traffic meets.
  t.same(rules.filter((r) => r.chain === 'OUTPUT').map((r) => r.reach), [
    { from: 'OUTPUT', destination: '169.254.169.254', protocol: 'tcp', dport: 80 },
    { from: 'OUTPUT', destination: 'fd00:ec2::254' }
  ])
})

t.test('without IPv6 there is no ip6tables rule', async (t) => {
  const { chains, rules } = hostGuardRules({ ...base, ipv6: false })
  t.same(chains.map((c) => c.table), ['filter'])
  t.notOk(rules.some((r) => r.table === 'filter6'))
})

t.test('root as the proxy user or group 0 as the IMDS group is refused: every root process would pass', async (t) => {
  t.throws(() => hostGuardRules({ ...base, proxyUid: 0 }), { code: 'BASTION_METADATAPROXY_CONFIG_INVALID', message: /is root/ })
  t.throws(() => hostGuardRules({ ...base, imdsGid: 0 }), { code: 'BASTION_METADATAPROXY_CONFIG_INVALID', message: /group 0/ })
})

t.test('ids that are not Unix ids never reach iptables', async (t) => {
  for (const bad of [-1, 1.5, Number.NaN, 4294967295]) {
    t.throws(() => hostGuardRules({ ...base, proxyUid: bad }), { name: 'BastionError', code: 'BASTION_METADATAPROXY_CONFIG_INVALID' }, String(bad))
    t.throws(() => hostGuardRules({ ...base, imdsGid: bad }), { name: 'BastionError', code: 'BASTION_METADATAPROXY_CONFIG_INVALID' }, String(bad))
  }
})
