// Every code `bastion ship` can end with is documented with its meaning, and raised.
import t from 'tap'
import { shipCodes, shipError } from '../../src/ship/errors.ts'
import { checkCodes } from '../fixtures/error-docs.ts'

checkCodes(t, shipCodes, 'BASTION_ADMIN_SHIP_', ['ship', 'commands/ship.ts'])

t.test('a ship error carries its code and message', async (t) => {
  t.match(shipError('BASTION_ADMIN_SHIP_INCOMPLETE', 'two'), { name: 'AdminError', code: 'BASTION_ADMIN_SHIP_INCOMPLETE', message: 'two' })
})
