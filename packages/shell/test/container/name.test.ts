// The personal container's name: valid for Docker whatever the username, stable, and
// never shared by two users whose names sanitize alike.
import t from 'tap'
import { containerName } from '../../src/container/name.ts'

// Docker's own rule for container names, with a bound well under the 63 characters a
// name may need elsewhere (hostnames, labels).
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/
const MAX = 63

const awkward: Record<string, string> = {
  'mixed case with a dot': 'John.Smith',
  'an e-mail-like name': 'a@corp',
  '64 characters': 'u'.repeat(64),
  '64 characters of mixed kinds': 'Ab.9_-'.repeat(10) + 'wxyz',
  'a 300-character name': 'x'.repeat(300),
  'only symbols': '@@@',
  'only dots and dashes': '.-._.-',
  'only a dash': '-',
  'spaces and a slash': 'john smith/../root',
  'unicode letters': 'Jürgen.Müller',
  'only unicode': '山田太郎',
  'an emoji': '🦊',
  'a leading dot and trailing symbols': '.hidden@@',
  'a NUL and a newline': 'a\u0000b\nc',
  'the Kelvin sign, which lowercases to k': '\u212Aate'
}

t.test('every name is a valid Docker container name of at most 63 characters', async (t) => {
  for (const [what, user] of Object.entries(awkward)) {
    const name = containerName(user)
    t.match(name, DOCKER_NAME, `${what}: ${name}`)
    t.ok(name.length <= MAX, `${what}: ${name.length} characters`)
  }
})

t.test('a readable part of the username is kept, lowercased, after a shell- prefix', async (t) => {
  t.match(containerName('John.Smith'), /^shell-john\.smith-[0-9a-f]{10}$/)
  t.match(containerName('a@corp'), /^shell-a-corp-[0-9a-f]{10}$/)
  t.match(containerName('alice'), /^shell-alice-[0-9a-f]{10}$/)
})

t.test('a username with nothing readable in it still gets a name', async (t) => {
  for (const user of ['@@@', '山田太郎', '🦊', '-', '.-._.-']) t.match(containerName(user), /^shell-[0-9a-f]{10}$/, user)
})

t.test('a long username is shortened, and never ends the readable part on a symbol', async (t) => {
  t.match(containerName('u'.repeat(64)), new RegExp(`^shell-${'u'.repeat(40)}-[0-9a-f]{10}$`))
  // Character 40 is a dot: the cut must not leave "u.-hash".
  t.match(containerName('u'.repeat(39) + '.' + 'v'.repeat(24)), new RegExp(`^shell-${'u'.repeat(39)}-[0-9a-f]{10}$`))
})

t.test('the same user always gets the same name', async (t) => {
  for (const user of Object.values(awkward)) t.equal(containerName(user), containerName(String(user)), user)
  t.equal(containerName('alice'), 'shell-alice-' + '2bd806c97f')
})

t.test('users whose names sanitize alike get different containers', async (t) => {
  const pairs: Array<[string, string]> = [
    ['a@corp', 'a-corp'],
    ['John.Smith', 'john.smith'],
    ['alice', 'Alice'],
    ['\u212Aate', 'kate'],
    ['u'.repeat(64), 'u'.repeat(65)],
    ['@@@', '###'],
    ['a b', 'a  b']
  ]
  for (const [a, b] of pairs) t.not(containerName(a), containerName(b), `${a} vs ${b}`)
})
