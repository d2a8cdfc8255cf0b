// The S3 adapter of the recordings store, against a fake client: one PutObject with our
// SHA-256 for a small recording, parts with a SHA-256 each for a large one, and S3's
// refusals turned into errors that name the permission.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'
import { s3RecordingStore, StoreError } from '../../src/ship/recording-store.ts'
import { openRecording } from '../../src/ship/recording-files.ts'
import { tempDir } from '../audit/fixtures.ts'

interface Sent { name: string, input: Record<string, unknown> }

function fakeS3 (answer: (c: Sent) => unknown = () => ({})): { client: S3Client, sent: Sent[] } {
  const sent: Sent[] = []
  const client = {
    config: { requestChecksumCalculation: async () => 'WHEN_SUPPORTED' },
    send: async (command: { constructor: { name: string }, input: Record<string, unknown> }) => {
      const c = { name: command.constructor.name, input: command.input }
      sent.push(c)
      const a = answer(c)
      if (a instanceof Error) throw a
      return a
    }
  }
  return { client: client as unknown as S3Client, sent }
}

async function recording (t: Test, bytes: Buffer) {
  const path = join(tempDir(t), 'r.cast')
  writeFileSync(path, bytes)
  const rec = await openRecording(path)
  t.teardown(() => rec.fh.close())
  return { rec, sha256: createHash('sha256').update(bytes).digest('hex') }
}

t.test('a small recording is one PutObject carrying its SHA-256', async (t) => {
  const { client, sent } = fakeS3()
  const { rec, sha256 } = await recording(t, Buffer.from('hello\n'))
  const store = s3RecordingStore(client, 'bkt')
  t.equal(store.url, 's3://bkt')
  await store.put('p/h/u/r.cast', rec, sha256, new AbortController().signal)
  await store.put('p/h/u/r.cast', rec, sha256)
  t.equal(sent.length, 2)
  t.match(sent[0], { name: 'PutObjectCommand', input: { Bucket: 'bkt', Key: 'p/h/u/r.cast', ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } })
  t.equal((sent[0]?.input.Body as Buffer).toString(), 'hello\n')
})

t.test('a large recording goes up in parts, each with a SHA-256', async (t) => {
  const { client, sent } = fakeS3((c) => c.name === 'CreateMultipartUploadCommand' ? { UploadId: 'u1' } : c.name === 'UploadPartCommand' ? { ETag: `"e${String(c.input.PartNumber)}"` } : {})
  const bytes = Buffer.alloc(11 * 1024 * 1024, 'a')
  const { rec, sha256 } = await recording(t, bytes)
  await s3RecordingStore(client, 'bkt', { multipartBytes: 1024, partBytes: 5 * 1024 * 1024 }).put('k', rec, sha256, new AbortController().signal)
  t.same(sent.map((c) => c.name), ['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'])
  t.match(sent[0]?.input, { Bucket: 'bkt', Key: 'k', ChecksumAlgorithm: 'SHA256' })
  t.equal(sent.filter((c) => c.name === 'UploadPartCommand').reduce((n, c) => n + (c.input.Body as Buffer).length, 0), bytes.length)
})

t.test('an abort during a multipart upload aborts it in S3', async (t) => {
  const ac = new AbortController()
  const { client, sent } = fakeS3((c) => {
    if (c.name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' }
    if (c.name === 'UploadPartCommand') { ac.abort(); return { ETag: '"e"' } }
    return {}
  })
  const { rec, sha256 } = await recording(t, Buffer.alloc(11 * 1024 * 1024, 'b'))
  await t.rejects(s3RecordingStore(client, 'bkt', { multipartBytes: 1024 }).put('k', rec, sha256, ac.signal), StoreError)
  t.notOk(sent.some((c) => c.name === 'CompleteMultipartUploadCommand'))
})

t.test('S3\'s refusals name what is missing; other failures are for a retry', async (t) => {
  const { rec, sha256 } = await recording(t, Buffer.from('x'))
  const failing = (err: Error) => s3RecordingStore(fakeS3(() => err).client, 'bkt', { prefix: 'bastion/recordings/' })
  const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
  await t.rejects(failing(denied).put('bastion/recordings/h/u/r.cast', rec, sha256), { denied: true, code: 'AccessDenied', message: /needs s3:PutObject on arn:aws:s3:::bkt\/bastion\/recordings\/\*/ })
  await t.rejects(failing(Object.assign(new Error('nope'), { name: 'NoSuchBucket' })).put('k', rec, sha256), { denied: true, code: 'NoSuchBucket', message: /bucket bkt does not exist/ })
  await t.rejects(failing(Object.assign(new Error('bad key'), { name: 'InvalidAccessKeyId' })).put('k', rec, sha256), { denied: true, message: /InvalidAccessKeyId/ })
  await t.rejects(failing(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' })).put('k', rec, sha256), { denied: false, message: /did not take k: Error: connect ECONNREFUSED/ })
  const bare = s3RecordingStore(fakeS3(() => Object.assign(new Error('x'), { name: 'AccessDenied' })).client, 'bkt')
  await t.rejects(bare.put('k', rec, sha256), { message: /arn:aws:s3:::bkt\/\*/ })
})
