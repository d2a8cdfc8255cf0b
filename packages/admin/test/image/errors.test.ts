// Every code `bastion image` can end with is documented with its meaning, and raised.
import t from 'tap'
import { imageCodes, imageError } from '../../src/image/errors.ts'
import { checkCodes } from '../fixtures/error-docs.ts'

checkCodes(t, imageCodes, 'BASTION_ADMIN_IMAGE_', ['image', 'commands/image.ts'])

t.test('an image error carries its code, message and cause', async (t) => {
  const cause = new Error('x')
  t.match(imageError('BASTION_ADMIN_IMAGE_BUSY', 'held', cause), { name: 'AdminError', code: 'BASTION_ADMIN_IMAGE_BUSY', message: 'held', cause })
  t.equal(imageError('BASTION_ADMIN_IMAGE_BUSY', 'held').cause, undefined)
})
