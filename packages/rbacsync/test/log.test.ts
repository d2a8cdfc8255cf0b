// The logger redacts tokens and credentials.
import t from 'tap'
import { createLogger } from '../src/log.ts'

t.test('tokens and credentials never reach the log', async (t) => {
  const lines: string[] = []
  const log = createLogger('info', { write: (s: string) => { lines.push(s) } })
  log.info({ token: 'k8s-aws-v1.secret', user: { token: 'x' }, credentials: { a: 1 }, headers: { authorization: 'Bearer y' } }, 'hello')
  const line = JSON.parse(lines[0]!)
  t.equal(line.component, 'rbacsync')
  t.equal(line.token, '[redacted]')
  t.equal(line.user.token, '[redacted]')
  t.equal(line.credentials, '[redacted]')
  t.equal(line.headers.authorization, '[redacted]')
  t.notMatch(lines[0], /secret|Bearer/)
  t.ok(createLogger('silent'))
})
