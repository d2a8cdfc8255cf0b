// Which containers could send packets from a neighbour's address, worked out from
// docker inspect's HostConfig as Docker works out the capability set.
import t from 'tap'
import { effectiveCapabilities, spoofingReason } from '../../src/docker/capabilities.ts'

t.test("Docker's default set holds NET_RAW: a container that drops nothing could spoof", async (t) => {
  t.ok(effectiveCapabilities({}).has('NET_RAW'))
  t.match(spoofingReason({ CapAdd: null, CapDrop: null }), /holds NET_RAW, so it can send packets from a neighbour's address \(drop it: --cap-drop ALL\)/)
  t.match(spoofingReason({ CapDrop: ['CHOWN'] }), /NET_RAW/, 'dropping others keeps NET_RAW')
})

t.test('dropping NET_RAW, in any spelling, or ALL, leaves nothing to spoof with', async (t) => {
  for (const drop of [['NET_RAW'], ['net_raw'], ['CAP_NET_RAW'], ['ALL'], ['all']]) {
    t.equal(spoofingReason({ CapDrop: drop }), undefined, drop.join(','))
  }
  t.equal(spoofingReason({ CapDrop: ['ALL'], CapAdd: ['CHOWN', 'SETUID'] }), undefined, 'adding back harmless ones')
  t.equal(spoofingReason({ Capabilities: ['CHOWN'] }), undefined, 'an explicit set without them')
})

t.test('NET_ADMIN or NET_RAW added back, ALL added, an explicit set with them, or privileged: no credentials', async (t) => {
  t.match(spoofingReason({ CapDrop: ['ALL'], CapAdd: ['NET_RAW'] }), /holds NET_RAW,/)
  t.match(spoofingReason({ CapDrop: ['NET_RAW'], CapAdd: ['cap_net_admin'] }), /holds NET_ADMIN,/)
  t.match(spoofingReason({ CapAdd: ['NET_ADMIN'] }), /holds NET_RAW and NET_ADMIN, .*drop them/)
  t.match(spoofingReason({ CapAdd: ['ALL'] }), /NET_RAW and NET_ADMIN/)
  t.match(spoofingReason({ CapAdd: ['ALL'], CapDrop: ['NET_RAW'] }), /holds NET_ADMIN,/, 'ALL minus one still has the other')
  t.equal(spoofingReason({ CapAdd: ['ALL'], CapDrop: ['NET_RAW', 'NET_ADMIN'] }), undefined)
  t.match(spoofingReason({ Capabilities: ['CAP_NET_RAW'] }), /NET_RAW/)
  t.match(spoofingReason({ Privileged: true, CapDrop: ['ALL'] }), /privileged/, 'privileged overrides every drop')
  t.same([...effectiveCapabilities({ Privileged: true })], ['ALL'])
})

t.test('without a HostConfig nothing is known, so nothing is given', async (t) => {
  t.match(spoofingReason(undefined), /unknown/)
  t.match(spoofingReason(null), /unknown/)
})
