// Check `addresses`: ok with how many of the network's addresses belong to a person;
// a warning past 90% of them, with the fix.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addressesCheck, addressesCheckWith } from '../../../src/doctor/checks/addresses.ts'
import { CONFIG_TEXT, hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const LEDGER = '/var/lib/bastion/state/addresses'
// The unit config's subnet, 10.254.1.0/24: 253 addresses, .2 to .254.
const claims = (n: number) => Array.from({ length: n }, (_x, i) => `10.254.1.${i + 2}`)

t.test('a few claims: ok, with the count and the ledger; files that are no address of the subnet do not count', async (t) => {
  const asked: string[] = []
  const check = addressesCheckWith(async (dir) => { asked.push(dir); return [...claims(3), 'users', '10.254.2.7', '10.254.1.1'] })
  t.same(await check.run(doctorContext(scratchDir(t))), { status: 'ok', detail: `3 of the 253 addresses of network.subnet 10.254.1.0/24 belong to a person (${LEDGER})` })
  t.same(asked, [LEDGER])
})

t.test('past 90% of the subnet: a warning that says what happens when it is full, and the fix', async (t) => {
  t.equal((await addressesCheckWith(async () => claims(227)).run(doctorContext(scratchDir(t)))).status, 'ok', '227 of 253 is under 90%')
  const ctx = doctorContext(scratchDir(t), { config: hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', 'allowedGroup: bt-unit-users, addressHoldHours: 6 }')) })
  t.same(await addressesCheckWith(async () => claims(228)).run(ctx), {
    status: 'warnings',
    warnings: [{
      problem: `228 of the 253 addresses of network.subnet 10.254.1.0/24 belong to a person (${LEDGER}): once all do, a new person's first login gets an address only from someone with no container and no session for shell.addressHoldHours (6 h), and otherwise fails with BASTION_SHELL_NO_ADDRESS`,
      fix: 'widen network.subnet (the network is then made anew: remove its containers first), or shorten shell.addressHoldHours; remove the claim files of people who will not come back (docs/shell/errors.md)'
    }]
  })
})

t.test('the real directory: none yet is 0; the files there are counted', async (t) => {
  const dir = scratchDir(t)
  const ctx = doctorContext(dir, { config: hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', `allowedGroup: bt-unit-users, stateDir: ${join(dir, 'state')} }`)) })
  t.match(await addressesCheck.run(ctx), { status: 'ok', detail: /^0 of the 253 addresses/ })
  mkdirSync(join(dir, 'state', 'addresses', 'users'), { recursive: true })
  for (const ip of claims(2)) writeFileSync(join(dir, 'state', 'addresses', ip), '{"user":"x","uid":1}\n')
  t.match(await addressesCheck.run(ctx), { status: 'ok', detail: /^2 of the 253 addresses/ })
})
