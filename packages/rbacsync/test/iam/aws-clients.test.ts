// SDK client settings (adaptive retries, timeouts, endpoint) and the call counter.
import t from 'tap'
import { IAMClient, ListGroupsCommand, CreateGroupCommand } from '@aws-sdk/client-iam'
import { clientConfig, countCalls } from '../../src/iam/aws-clients.ts'
import { createMeter } from '../../src/reconcile/meter.ts'

t.test('clients retry adaptively with the configured attempts and time out', async (t) => {
  t.same(clientConfig({ region: 'eu-west-1', maxAttempts: 8, timeoutMs: 500 }), { region: 'eu-west-1', maxAttempts: 8, retryMode: 'adaptive', requestHandler: { requestTimeout: 500, connectionTimeout: 500 } })
  t.match(clientConfig({ region: 'eu-west-1', maxAttempts: 1, timeoutMs: 1, endpoint: 'http://127.0.0.1:5011' }), { endpoint: 'http://127.0.0.1:5011' })
})

t.test('every command sent is counted once, as a read or a write by its name', async (t) => {
  const meter = createMeter()
  const c = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  countCalls(c, 'iam', meter)
  // Short-circuit before the network: answer every request with an empty output.
  c.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), { step: 'build', name: 'testAnswer' })
  await c.send(new ListGroupsCommand({}))
  await c.send(new ListGroupsCommand({}))
  await c.send(new CreateGroupCommand({ GroupName: 'g' }))
  t.same(meter.snapshot(), [{ api: 'iam:ListGroups', kind: 'read', calls: 2 }, { api: 'iam:CreateGroup', kind: 'write', calls: 1 }])
  c.destroy()
})
