// The walk from a built-in chain to one of our rules, on dumps as iptables -S prints them.
import t from 'tap'
import { reaches } from '../../src/iptables/reach.ts'
import { splitRuleLine } from '../../src/iptables/command.ts'
import type { Traffic } from '../../src/iptables/traffic.ts'

const traffic: Traffic = { from: 'FORWARD', in: 'bastion0', destination: '169.254.169.254' }
const ours = ['-i', 'bastion0', '-j', 'GUARD']
const dump = (...lines: string[]) => ['-P FORWARD ACCEPT', '-N GUARD', '-N DOCKER-USER', ...lines].map(splitRuleLine)
const walk = (...lines: string[]) => reaches(dump(...lines), 'DOCKER-USER', ours, traffic)

t.test('reached through a jump, and a goto into a chain that reaches it', async (t) => {
  t.same(walk('-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -i bastion0 -j GUARD'), { reached: true })
  t.same(walk('-N X', '-A FORWARD -g X', '-A X -j DOCKER-USER', '-A DOCKER-USER -i bastion0 -j GUARD'), { reached: true })
})

t.test('a DNAT, an unknown target, or an ACCEPT policy before our rule bypass it', async (t) => {
  t.same(walk('-A FORWARD -j NFQUEUE', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -i bastion0 -j GUARD'), { reached: false, culprit: '-A FORWARD -j NFQUEUE' })
  t.same(walk('-A FORWARD -d 169.254.169.254/32 -j DNAT --to-destination 10.0.0.1', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -i bastion0 -j GUARD'), { reached: false, culprit: '-A FORWARD -d 169.254.169.254/32 -j DNAT --to-destination 10.0.0.1' })
  t.same(walk('-A DOCKER-USER -i bastion0 -j GUARD'), { reached: false, culprit: '-P FORWARD ACCEPT' })
})

t.test('a DROP policy or rule keeps traffic away from everything, which is still fail-closed', async (t) => {
  t.same(reaches(['-P FORWARD DROP', '-N DOCKER-USER'].map(splitRuleLine), 'DOCKER-USER', ours, traffic), { reached: true })
  t.same(walk('-A FORWARD -j DROP', '-A FORWARD -j DOCKER-USER'), { reached: true })
})

t.test('a loop, a jump to a missing chain, and a goto that falls off its end are bypasses', async (t) => {
  t.match(walk('-N A', '-A FORWARD -j A', '-A A -j A'), { reached: false, culprit: /loop/ })
  t.match(reaches(['-P FORWARD ACCEPT', '-A FORWARD -j DOCKER-USER'].map(splitRuleLine), 'DOCKER-USER', ours, traffic), { reached: false })
  t.same(walk('-N X', '-A FORWARD -g X', '-A X -i other0 -j ACCEPT', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -i bastion0 -j GUARD'), { reached: false, culprit: '-P FORWARD ACCEPT' })
})
