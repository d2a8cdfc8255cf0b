// The network section's subnet: its gateway and its host addresses.
import t from 'tap'
import { gatewayOf, hostAddresses } from '../src/subnet.ts'

t.test('the gateway is the first host address, whatever host bits the subnet is written with', async (t) => {
  t.equal(gatewayOf('10.250.0.0/24'), '10.250.0.1')
  t.equal(gatewayOf('10.250.3.77/16'), '10.250.0.1')
  t.equal(gatewayOf('172.16.0.16/28'), '172.16.0.17')
})

t.test('host addresses: all but the network and broadcast addresses', async (t) => {
  t.same(hostAddresses('10.250.0.0/29'), ['10.250.0.1', '10.250.0.2', '10.250.0.3', '10.250.0.4', '10.250.0.5', '10.250.0.6'])
  t.equal(hostAddresses('10.250.0.0/24').length, 254)
  t.equal(hostAddresses('10.250.0.0/16').at(-1), '10.250.255.254')
})
