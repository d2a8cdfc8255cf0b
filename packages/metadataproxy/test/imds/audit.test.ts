// The issuance audit trail: one line per new access key per container, never a secret.
import t from 'tap'
import pino from 'pino'
import { auditLog } from '../../src/imds/audit.ts'
import type { ManagedContainer } from '../../src/identity/container-index.ts'
import type { Credentials } from '../../src/sts/sts-client.ts'
import { captureLog } from '../fixtures/log.ts'

const ARN = 'arn:aws:iam::123456789012:role/dev'
const alice: ManagedContainer = { id: 'a1b2c3d4e5f6'.repeat(5) + 'abcd', name: 'shell-alice', ip: '10.250.0.2', user: 'alice', role: 'dev' }
const bob: ManagedContainer = { id: 'f'.repeat(64), name: 'shell-bob', ip: '10.250.0.3', user: 'bob', role: 'dev' }

const creds = (n: number): Credentials => ({
  accessKeyId: `ASIAEXAMPLEKEY0000${n}WXYZ`.slice(0, 20) + String(n).padStart(4, '0'),
  secretAccessKey: `wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET${n}`,
  sessionToken: `IQoJb3JpZ2luX2VjSESSIONTOKEN${n}`,
  expiration: new Date(Date.UTC(2030, 0, 1, 1, 0, 0, 123)),
  obtainedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 456))
})

function setup () {
  const out = captureLog()
  const audit = auditLog(pino({ level: 'info' }, out.destination))
  return { out, audit }
}

t.test('a new access key for a container writes one line naming the human', async (t) => {
  const { out, audit } = setup()
  audit.issued(alice, ARN, creds(1))
  const [line] = out.records()
  t.equal(out.lines.length, 1)
  t.match(line, {
    audit: 'credential-issued',
    user: 'alice',
    container: 'shell-alice',
    containerId: alice.id.slice(0, 12),
    ip: '10.250.0.2',
    role: ARN,
    accessKeyIdSuffix: '0001',
    expiration: '2030-01-01T01:00:00Z',
    msg: 'credentials issued'
  })
})

t.test('the same key served again to the same container writes nothing more', async (t) => {
  const { out, audit } = setup()
  for (let i = 0; i < 5; i++) audit.issued(alice, ARN, creds(1))
  t.equal(out.lines.length, 1)
})

t.test('a rotated key writes a new line, and so does the old key coming back', async (t) => {
  const { out, audit } = setup()
  audit.issued(alice, ARN, creds(1))
  audit.issued(alice, ARN, creds(2))
  audit.issued(alice, ARN, creds(2))
  audit.issued(alice, ARN, creds(1))
  t.same(out.records().map((r) => r.accessKeyIdSuffix), ['0001', '0002', '0001'])
})

t.test('each container is tracked on its own', async (t) => {
  const { out, audit } = setup()
  audit.issued(alice, ARN, creds(1))
  audit.issued(bob, ARN, creds(1))
  audit.issued(alice, ARN, creds(1))
  t.same(out.records().map((r) => r.user), ['alice', 'bob'])
})

t.test('no secret, session token or whole access key id appears in the output', async (t) => {
  const { out, audit } = setup()
  const c = creds(7)
  audit.issued(alice, ARN, c)
  const text = out.lines.join('\n')
  t.equal(out.lines.length, 1)
  t.notOk(text.includes(c.secretAccessKey), 'secret access key')
  t.notOk(text.includes('SECRET'), 'any part of the secret')
  t.notOk(text.includes(c.sessionToken), 'session token')
  t.notOk(text.includes('SESSIONTOKEN'), 'any part of the session token')
  t.notOk(text.includes(c.accessKeyId), 'whole access key id')
  t.equal(String(out.records()[0]?.accessKeyIdSuffix).length, 4)
})

t.test('memory is bounded: after 10,000 other containers the oldest is forgotten and logged again', async (t) => {
  const { out, audit } = setup()
  const key = creds(1)
  audit.issued(alice, ARN, key)
  for (let i = 0; i < 9_999; i++) audit.issued({ ...bob, id: `c${i}` }, ARN, key)
  audit.issued(alice, ARN, key)
  t.equal(out.lines.length, 10_000, 'alice is still remembered at 10,000 entries')
  audit.issued({ ...bob, id: 'one-more' }, ARN, key)
  audit.issued(alice, ARN, key)
  t.equal(out.lines.length, 10_002, 'alice was evicted by the 10,001st container and is logged again')
})
