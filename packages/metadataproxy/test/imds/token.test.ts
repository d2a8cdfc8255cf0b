// IMDSv2 tokens: signed, expiring, bound to one container's id and IP.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { MAX_TTL, MIN_TTL, parseTtl, tokenSigner } from '../../src/imds/token.ts'

const NOW = Date.UTC(2030, 0, 1) // a whole second, so expiry falls exactly on now + ttl
const alice = { containerId: 'a'.repeat(64), ip: '10.250.0.2' }
const bob = { containerId: 'b'.repeat(64), ip: '10.250.0.3' }

const b64 = (s: string): string => Buffer.from(s).toString('base64url')
const unb64 = (s: string): string => Buffer.from(s, 'base64url').toString('utf8')
const parts = (token: string): [string, string] => {
  const [payload = '', sig = ''] = token.split('.')
  return [payload, sig]
}

t.test('a token verifies for the container it was issued to', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.ok(signer.verify(token, alice, NOW))
  t.ok(signer.verify(token, { ...alice }, NOW + 59_999), 'still valid 1 ms before expiry')
})

t.test('two tokens for the same container differ', async (t) => {
  const signer = tokenSigner()
  t.not(signer.issue(alice, 60, NOW), signer.issue(alice, 60, NOW))
})

t.test('a token from container A is rejected from container B', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.notOk(signer.verify(token, bob, NOW))
})

t.test('a token is rejected when only the container id differs (IP reused by a new container)', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.notOk(signer.verify(token, { containerId: bob.containerId, ip: alice.ip }, NOW))
})

t.test('a token is rejected when only the IP differs', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.notOk(signer.verify(token, { containerId: alice.containerId, ip: bob.ip }, NOW))
})

t.test('a token expires after its TTL', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.notOk(signer.verify(token, alice, NOW + 60_000), 'expired exactly at now + ttl')
  t.notOk(signer.verify(token, alice, NOW + 3_600_000))
  const longest = signer.issue(alice, MAX_TTL, NOW)
  t.ok(signer.verify(longest, alice, NOW + MAX_TTL * 1000 - 1))
  t.notOk(signer.verify(longest, alice, NOW + MAX_TTL * 1000))
})

t.test('a token with a changed payload is rejected', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  const [payload, sig] = parts(token)
  const claims = JSON.parse(unb64(payload)) as Record<string, unknown>
  const longer = b64(JSON.stringify({ ...claims, e: (claims.e as number) + 86_400 }))
  t.notOk(signer.verify(`${longer}.${sig}`, alice, NOW), 'expiry extended')
  const moved = b64(JSON.stringify({ ...claims, c: bob.containerId, i: bob.ip }))
  t.notOk(signer.verify(`${moved}.${sig}`, bob, NOW), 'rebound to another container')
  const flipped = (payload[5] === 'A' ? 'B' : 'A')
  t.notOk(signer.verify(`${payload.slice(0, 5)}${flipped}${payload.slice(6)}.${sig}`, alice, NOW), 'one character changed')
})

t.test('a token with a changed signature is rejected', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  const [payload, sig] = parts(token)
  const flipped = (sig[10] === 'A' ? 'B' : 'A')
  t.notOk(signer.verify(`${payload}.${sig.slice(0, 10)}${flipped}${sig.slice(11)}`, alice, NOW), 'one character changed')
  t.notOk(signer.verify(`${payload}.${sig.slice(0, 20)}`, alice, NOW), 'truncated')
  t.notOk(signer.verify(`${payload}.${sig}${sig}`, alice, NOW), 'doubled')
  t.notOk(signer.verify(`${payload}.`, alice, NOW), 'empty')
  const [, otherSig] = parts(signer.issue(alice, 60, NOW))
  t.notOk(signer.verify(`${payload}.${otherSig}`, alice, NOW), "another token's signature")
})

t.test('a token signed with another key is rejected', async (t) => {
  const ours = tokenSigner()
  const theirs = tokenSigner()
  t.notOk(ours.verify(theirs.issue(alice, 60, NOW), alice, NOW))
})

t.test('signers sharing a key accept each other’s tokens', async (t) => {
  const key = Buffer.alloc(32, 7)
  t.ok(tokenSigner(key).verify(tokenSigner(Buffer.from(key)).issue(alice, 60, NOW), alice, NOW))
})

t.test('garbage is rejected without throwing', async (t) => {
  const signer = tokenSigner()
  const garbage = [
    '', '.', '..', 'abc', 'a.b', '.abc', 'abc.', 'null.null', '{}.{}',
    `${b64('null')}.${b64('x')}`, 'x'.repeat(1025), 'x'.repeat(1_000_000),
    `${'a'.repeat(600)}.${'b'.repeat(600)}`, '\u0000.\u0000', 'é.ü', '🙂.🙂'
  ]
  for (const g of garbage) t.equal(signer.verify(g, alice, NOW), false, `rejects ${JSON.stringify(g.slice(0, 20))} (${g.length} chars)`)
})

t.test('a correctly signed payload that is not JSON is rejected without throwing', async (t) => {
  const key = Buffer.alloc(32, 9)
  const payload = b64('{not json')
  const sig = createHmac('sha256', key).update(payload).digest('base64url')
  t.equal(tokenSigner(key).verify(`${payload}.${sig}`, alice, NOW), false)
})

t.test('a valid token padded past 1024 characters is rejected', async (t) => {
  const signer = tokenSigner()
  const token = signer.issue(alice, 60, NOW)
  t.ok(signer.verify(token, alice, NOW))
  t.notOk(signer.verify(token + '.'.repeat(1025 - token.length), alice, NOW))
})

t.test('parseTtl accepts 1 to 21600 seconds and nothing else', async (t) => {
  t.equal(MIN_TTL, 1)
  t.equal(MAX_TTL, 21600)
  const cases: Array<[string | string[] | undefined, number | undefined]> = [
    ['1', 1], ['21600', 21600], ['60', 60], [' 5 ', 5], ['00005', 5],
    ['0', undefined], ['21601', undefined], ['99999', undefined], ['000021600', undefined],
    ['', undefined], ['   ', undefined], ['1e3', undefined], ['-1', undefined], ['+5', undefined],
    ['5.0', undefined], ['0x10', undefined], ['5 5', undefined], ['abc', undefined],
    [['60'], undefined], [['60', '60'], undefined], [undefined, undefined]
  ]
  for (const [input, expected] of cases) t.equal(parseTtl(input), expected, `parseTtl(${JSON.stringify(input)})`)
})

t.test('a correctly signed payload of JSON null or of wrong claim types is refused, not thrown', async (t) => {
  const key = Buffer.alloc(32, 7)
  const signer = tokenSigner(key)
  for (const json of ['null', '42', '{"c":1,"i":"10.0.0.2","e":9999999999}', '{"c":"abc","i":"10.0.0.2","e":"9999999999"}']) {
    const payload = Buffer.from(json).toString('base64url')
    const token = `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`
    t.equal(signer.verify(token, { containerId: 'abc', ip: '10.0.0.2' }, 0), false, json)
  }
})
