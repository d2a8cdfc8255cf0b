// The access-entries adapter over a real EKSClient whose send is replaced (moto has no
// access entries, so this is the only place the adapter runs).
import t from 'tap'
import { EKSClient } from '@aws-sdk/client-eks'
import { accessEntriesApi, eksClient } from '../../src/mapping/access-entries.ts'
import { createMeter } from '../../src/reconcile/meter.ts'

t.test('list pages with nextToken; describe, create and delete send what EKS expects', async (t) => {
  const c = new EKSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  const sent: Array<[string, Record<string, unknown>]> = []
  c.send = (async (command: { constructor: { name: string }, input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, '')
    sent.push([name, { ...command.input }])
    if (name === 'ListAccessEntries') return command.input.nextToken === undefined ? { accessEntries: ['a1'], nextToken: 't' } : { accessEntries: ['a2'] }
    if (name === 'DescribeAccessEntry') return { accessEntry: { username: 'u', tags: { k: 'v' } } }
    return {}
  }) as never
  const api = accessEntriesApi(c, 100)
  t.same(await api.list('hyades'), ['a1', 'a2'])
  t.same(await api.describe('hyades', 'arn:x'), { principalArn: 'arn:x', username: 'u', tags: { k: 'v' } })
  await api.create('hyades', { principalArn: 'arn:x', username: 'u', tags: { 'managed-by': 'bastion-rbacsync' } })
  await api.remove('hyades', 'arn:x')
  t.same(sent, [
    ['ListAccessEntries', { clusterName: 'hyades', maxResults: 100 }],
    ['ListAccessEntries', { clusterName: 'hyades', nextToken: 't', maxResults: 100 }],
    ['DescribeAccessEntry', { clusterName: 'hyades', principalArn: 'arn:x' }],
    ['CreateAccessEntry', { clusterName: 'hyades', principalArn: 'arn:x', username: 'u', type: 'STANDARD', tags: { 'managed-by': 'bastion-rbacsync' } }],
    ['DeleteAccessEntry', { clusterName: 'hyades', principalArn: 'arn:x' }]
  ])
  c.send = (async () => ({})) as never
  t.same(await api.describe('hyades', 'arn:y'), { principalArn: 'arn:y', tags: {} })
})

t.test('eksClient builds a counted client for a region', async (t) => {
  const c = eksClient({ region: 'eu-west-1', maxAttempts: 3, timeoutMs: 1000, endpoint: 'http://127.0.0.1:1' }, createMeter())
  t.equal(await c.config.region(), 'eu-west-1')
  c.destroy()
})
