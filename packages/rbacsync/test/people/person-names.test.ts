// The rule from an Identity Center user name to a role and Unix name.
import t from 'tap'
import { personNameFor } from '../../src/people/person-names.ts'

t.test('an e-mail address becomes its local part, lowercased, dots made dashes', async (t) => {
  t.same(personNameFor('john.smith@example.com'), { name: 'john-smith' })
  t.same(personNameFor('JSmith'), { name: 'jsmith' })
  t.same(personNameFor('ann_lee-2@corp.example'), { name: 'ann_lee-2' })
})

t.test('names that cannot be a role and an account are refused, never mangled', async (t) => {
  t.match(personNameFor('j+smith@example.com'), { problem: /"j\+smith@example.com" maps to "j\+smith", which is not a valid/ })
  t.match(personNameFor('1ann@example.com'), { problem: /not a valid role and Unix user name/ })
  t.match(personNameFor('@example.com'), { problem: /maps to ""/ })
  t.match(personNameFor(`${'a'.repeat(33)}@example.com`), { problem: /at most 32/ })
  t.match(personNameFor('a@b@example.com'), { problem: /more than one @/ })
  t.match(personNameFor('josé@example.com'), { problem: /not a valid/ })
})
