// Check `network`: the bastion network has ICC and IPv6 off; skipped when Docker is down.
import t from 'tap'
import type { NetworkFacts } from '@bastion/metadataproxy'
import { networkCheck } from '../../../src/doctor/checks/network.ts'
import { fakeDocker, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const icc = { 'com.docker.network.bridge.enable_icc': 'false' }

t.test('a network as the proxy makes it is ok', async (t) => {
  t.same(await networkCheck.run(doctorContext(scratchDir(t))), { status: 'ok', detail: 'the Docker network bt-unit has inter-container traffic and IPv6 off' })
})

t.test('ICC on, IPv6 on, or no network: a problem with the fix', async (t) => {
  const run = async (networks: Record<string, NetworkFacts>) => networkCheck.run(doctorContext(scratchDir(t), { docker: () => fakeDocker({}, { networks }) }))
  t.match(await run({ 'bt-unit': { Options: {} } }), { status: 'problems', problems: [{ problem: /inter-container traffic on .*refuses to serve/, fix: /docker network rm bt-unit/ }] })
  t.match(await run({ 'bt-unit': { Options: icc, EnableIPv6: true } }), { status: 'problems', problems: [{ problem: /IPv6 on \(EnableIPv6\)/ }] })
  t.match(await run({}), { status: 'problems', problems: [{ problem: /does not exist/, fix: /creates the network/ }] })
})

t.test('skipped when Docker is down; an error asking is a problem', async (t) => {
  t.same(await networkCheck.run(doctorContext(scratchDir(t), { dockerUp: false })), { status: 'skipped', detail: 'Docker does not answer' })
  t.match(await networkCheck.run(doctorContext(scratchDir(t), { docker: () => fakeDocker({}, { down: true }) })), { status: 'problems', problems: [{ problem: /could not be inspected \(connect ENOENT/ }] })
})
