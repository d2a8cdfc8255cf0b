// The process logger redacts credential-shaped fields wherever the code puts them.
import t from 'tap'
import { createLogger } from '../src/log.ts'
import { captureLog } from './fixtures/log.ts'

function logOnce (obj: Record<string, unknown>) {
  const out = captureLog()
  createLogger('info', out.destination).info(obj, 'hello')
  return { text: out.lines.join('\n'), record: out.records()[0] ?? {} }
}

t.test('token, secretAccessKey and sessionToken are redacted at the top level', async (t) => {
  const { text, record } = logOnce({ token: 'tok-1', secretAccessKey: 'sec-1', sessionToken: 'ses-1', user: 'alice' })
  t.match(record, { token: '[redacted]', secretAccessKey: '[redacted]', sessionToken: '[redacted]', user: 'alice' })
  for (const s of ['tok-1', 'sec-1', 'ses-1']) t.notOk(text.includes(s), s)
})

t.test('the same fields are redacted one level down, in either spelling', async (t) => {
  const { text, record } = logOnce({
    creds: { token: 'tok-2', secretAccessKey: 'sec-2', sessionToken: 'ses-2', accessKeyId: 'ASIA0001' },
    body: { Token: 'tok-3', SecretAccessKey: 'sec-3', SessionToken: 'ses-3' }
  })
  t.match(record, {
    creds: { token: '[redacted]', secretAccessKey: '[redacted]', sessionToken: '[redacted]', accessKeyId: 'ASIA0001' },
    body: { Token: '[redacted]', SecretAccessKey: '[redacted]', SessionToken: '[redacted]' }
  })
  for (const s of ['tok-2', 'sec-2', 'ses-2', 'tok-3', 'sec-3', 'ses-3']) t.notOk(text.includes(s), s)
})

t.test('a credentials object and the IMDS token header are redacted whole', async (t) => {
  const { text, record } = logOnce({
    credentials: { accessKeyId: 'ASIA0002', secretAccessKey: 'sec-4' },
    req: { headers: { 'x-aws-ec2-metadata-token': 'tok-5', host: '169.254.169.254' } }
  })
  t.equal(record.credentials, '[redacted]')
  t.match(record, { req: { headers: { 'x-aws-ec2-metadata-token': '[redacted]', host: '169.254.169.254' } } })
  for (const s of ['sec-4', 'tok-5']) t.notOk(text.includes(s), s)
})

t.test('lines carry the component and honour the level', async (t) => {
  const out = captureLog()
  const log = createLogger('warn', out.destination)
  log.info('quiet')
  log.warn('loud')
  t.equal(out.lines.length, 1)
  t.match(out.records()[0], { component: 'metadataproxy', msg: 'loud' })
})
