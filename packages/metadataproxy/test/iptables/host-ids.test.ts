import t from 'tap'
import { anyIdLookup, getentLookup, hostGuardIds } from '../../src/iptables/host-ids.ts'

t.test('the names become the ids the rules name', async (t) => {
  t.same(hostGuardIds((db) => db === 'passwd' ? 998 : 997), { proxyUid: 998, imdsGid: 997 })
})

t.test('a missing user or group fails closed, naming it and the fix', async (t) => {
  t.throws(() => hostGuardIds((db) => db === 'passwd' ? undefined : 997),
    { code: 'BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', message: /system user bastion-metadataproxy[\s\S]*bastion setup/ })
  t.throws(() => hostGuardIds((db) => db === 'passwd' ? 998 : undefined),
    { code: 'BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', message: /IMDS group bastion-imds/ })
})

t.test('getent finds real accounts and says when one is missing', async (t) => {
  t.equal(getentLookup('passwd', 'root'), 0)
  t.equal(getentLookup('group', 'root'), 0)
  t.equal(getentLookup('passwd', 'bt-no-such-user-4f1'), undefined)
})

t.test('a failing lookup is an error, not a missing account', async (t) => {
  // getent exits 1 for a database it does not know (not 2, "not found").
  t.throws(() => getentLookup('no-such-db' as 'passwd', 'root'), { code: 'BASTION_METADATAPROXY_HOST_ACCOUNT_MISSING', message: /getent no-such-db root failed/ })
})

t.test('removal needs no account', async (t) => {
  t.ok(Number.isInteger(anyIdLookup('passwd', 'gone')))
})
