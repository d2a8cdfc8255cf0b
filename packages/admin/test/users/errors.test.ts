// Every code `bastion users` can end with is documented with its meaning, and raised.
import t from 'tap'
import { usersCodes, usersError } from '../../src/users/errors.ts'
import { checkCodes } from '../fixtures/error-docs.ts'

checkCodes(t, usersCodes, 'BASTION_ADMIN_USERS_', ['users', 'commands/users.ts'])

t.test('a users error carries its code and message', async (t) => {
  t.match(usersError('BASTION_ADMIN_USERS_PROBLEMS', 'two'), { name: 'AdminError', code: 'BASTION_ADMIN_USERS_PROBLEMS', message: 'two' })
})
