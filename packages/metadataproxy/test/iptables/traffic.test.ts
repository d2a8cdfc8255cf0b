// Deciding from a rule's text whether it matches the traffic one of ours must catch.
import t from 'tap'
import { matchTraffic, parseRule, type Traffic } from '../../src/iptables/traffic.ts'

const imds: Traffic = { from: 'PREROUTING', in: 'bastion0', destination: '169.254.169.254', protocol: 'tcp', dport: 80 }
const m = (line: string, traffic: Traffic = imds) => matchTraffic(parseRule(line.split(' ').filter((w) => w !== '')).matches, traffic)

t.test('parseRule splits matches from the target and its options', async (t) => {
  t.same(parseRule(['-i', 'x', '-j', 'DNAT', '--to-destination', '1.2.3.4:5']), { matches: ['-i', 'x'], jump: { kind: '-j', target: 'DNAT' } })
  t.same(parseRule(['-i', 'x', '-g', 'CHAIN']), { matches: ['-i', 'x'], jump: { kind: '-g', target: 'CHAIN' } })
  t.same(parseRule(['-i', 'x']), { matches: ['-i', 'x'] })
})

t.test('interfaces, addresses, protocols and ports decide; negation turns them', async (t) => {
  t.equal(m(''), 'yes')
  t.equal(m('-i bastion0'), 'yes')
  t.equal(m('-i bastion+'), 'yes')
  t.equal(m('-i docker+'), 'no')
  t.equal(m('! -i bastion0'), 'no')
  t.equal(m('! -i docker0'), 'yes')
  t.equal(m('-d 169.254.0.0/16'), 'yes')
  t.equal(m('-d 10.0.0.0/8'), 'no')
  t.equal(m('! -d 10.0.0.0/8'), 'yes')
  t.equal(m('-p tcp'), 'yes')
  t.equal(m('-p all'), 'yes')
  t.equal(m('-p udp'), 'no')
  t.equal(m('-p tcp -m tcp --dport 80'), 'yes')
  t.equal(m('-p tcp -m tcp --dport 443'), 'no')
  t.equal(m('-p tcp -m tcp --dport 1:1024'), 'yes')
  t.equal(m('-p tcp -m multiport --dports 22,443,8000:8100'), 'no')
  t.equal(m('-p tcp -m multiport --dports 22,80'), 'yes')
  t.equal(m('-m comment --comment x -i bastion0'), 'yes', 'comments match everything')
})

t.test('what the traffic leaves open, or a match not modelled, is maybe', async (t) => {
  const forward: Traffic = { from: 'FORWARD', destination: '169.254.169.254' }
  t.equal(m('-i bastion0', forward), 'maybe', 'any in interface')
  t.equal(m('-p tcp', forward), 'maybe', 'any protocol')
  t.equal(m('--dport 80', forward), 'maybe', 'any port')
  t.equal(m('-o eth0'), 'maybe')
  t.equal(m('-s 10.0.0.0/8'), 'maybe')
  t.equal(m('-m conntrack --ctstate RELATED,ESTABLISHED'), 'maybe')
  t.equal(m('-m addrtype --dst-type LOCAL'), 'maybe')
  t.equal(m('-m owner --uid-owner 0 --suppl-groups'), 'maybe')
  t.equal(m('-d fd00::/8'), 'maybe', 'not an IPv4 network')
  t.equal(m('-m addrtype --dst-type LOCAL -i docker0'), 'no', 'one sure miss is enough')
})
