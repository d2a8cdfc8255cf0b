// bastion ship's recordings step on moto's S3: an ended session's recording arrives with
// its exact bytes and an index line, a live one does not; a shipper killed in the middle
// of a large multipart upload leaves, after its restart, the whole object and one state
// entry; and an S3 outage (a local TCP relay to moto, closed and opened again) loses
// nothing.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3'
import { recordingsShipper } from '../../../packages/admin/src/ship/recordings.ts'
import { s3RecordingStore } from '../../../packages/admin/src/ship/recording-store.ts'
import { sessionEnd, sessionStart, writeLines } from '../../../packages/admin/test/audit/fixtures.ts'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'

const moto = bedFacts()('BASTION_TEST_STS_ENDPOINT')
const NODE = '/opt/bastion/node/bin/node'
const credentials = { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY }
const s3At = (endpoint: string): S3Client => new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, maxAttempts: 1 })
const s3 = s3At(moto)
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const PREFIX = 'bastion/recordings/'
const HOST = 'bastion-it'
const T = '2026-12-07T07:00:00.000Z'
const name = (session: string): string => `2026-12-07T07-00-00-000Z-${session}.cast`

async function bucket (t: Test): Promise<string> {
  const b = `bt-rec-${randomBytes(4).toString('hex')}`
  await s3.send(new CreateBucketCommand({ Bucket: b }))
  t.teardown(async () => {
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }))
    for (const u of uploads.Uploads ?? []) await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: u.Key, UploadId: u.UploadId }))
    for (const o of (await s3.send(new ListObjectsV2Command({ Bucket: b }))).Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: b, Key: o.Key }))
    await s3.send(new DeleteBucketCommand({ Bucket: b }))
  })
  return b
}

function host (t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ship-rec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const recordingsDir = join(dir, 'recordings')
  const sessionsLog = join(dir, 'sessions.jsonl')
  const stateDir = join(dir, 'ship')
  const record = (user: string, session: string, bytes: Buffer): string => {
    mkdirSync(join(recordingsDir, user), { recursive: true })
    writeFileSync(join(recordingsDir, user, name(session)), bytes)
    return join(recordingsDir, user, name(session))
  }
  const ended = (...s: Array<[string, string]>): void => { writeLines(sessionsLog, s.flatMap(([u, id]) => [sessionStart(u, id, T), sessionEnd(u, id, T)])) }
  return { dir, recordingsDir, sessionsLog, stateDir, record, ended, indexFile: join(stateDir, 'recordings-index.jsonl') }
}

const shipperFor = (h: ReturnType<typeof host>, endpoint: string, b: string, logs: object[] = []) => recordingsShipper({
  recordingsDir: h.recordingsDir, sessionsLog: h.sessionsLog, shellStateDir: join(h.dir, 'shell-state'), prefix: PREFIX, host: HOST,
  stateDir: h.stateDir, indexFile: h.indexFile, store: s3RecordingStore(s3At(endpoint), b, { prefix: PREFIX }), log: (l) => logs.push(l)
})

async function object (b: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: b, Key: key }))
  return Buffer.from(await (r.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray())
}

const keyOf = (user: string, session: string): string => `${PREFIX}${HOST}/${user}/${name(session)}`
const stateOf = (h: ReturnType<typeof host>): Record<string, { sha256: string, key: string }> => (JSON.parse(readFileSync(join(h.stateDir, 'recordings-state.json'), 'utf8')) as { uploaded: Record<string, { sha256: string, key: string }> }).uploaded

t.test('an ended session\'s recording arrives with its exact bytes and an index line; a live one stays', async (t) => {
  const b = await bucket(t)
  const h = host(t)
  const small = randomBytes(3000)
  const large = randomBytes(9 * 1024 * 1024 + 17)
  h.record('alice', 'aaaaaaaaaaaa', small)
  h.record('alice', 'bbbbbbbbbbbb', large)
  h.record('bob', 'cccccccccccc', Buffer.from('still going\n'))
  h.ended(['alice', 'aaaaaaaaaaaa'], ['alice', 'bbbbbbbbbbbb'])
  const r = await shipperFor(h, moto, b).run()
  t.match(r, { uploaded: 2, failed: 0, live: 1, backlog: { files: 0 } })
  t.equal(sha(await object(b, keyOf('alice', 'aaaaaaaaaaaa'))), sha(small))
  t.equal(sha(await object(b, keyOf('alice', 'bbbbbbbbbbbb'))), sha(large), 'the multipart one too')
  const listed = (await s3.send(new ListObjectsV2Command({ Bucket: b }))).Contents?.map((o) => o.Key).sort()
  t.same(listed, [keyOf('alice', 'aaaaaaaaaaaa'), keyOf('alice', 'bbbbbbbbbbbb')], 'the live one is not there')
  const index = readFileSync(h.indexFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(index, [
    { host: HOST, user: 'alice', session: 'aaaaaaaaaaaa', key: keyOf('alice', 'aaaaaaaaaaaa'), url: `s3://${b}/${keyOf('alice', 'aaaaaaaaaaaa')}`, bytes: small.length, sha256: sha(small) },
    { host: HOST, user: 'alice', session: 'bbbbbbbbbbbb', key: keyOf('alice', 'bbbbbbbbbbbb'), bytes: large.length, sha256: sha(large) }
  ])
})

t.test('a shipper killed during a large multipart upload: after its restart the object is whole and exact, and the state has one entry', async (t) => {
  const b = await bucket(t)
  const h = host(t)
  const big = randomBytes(48 * 1024 * 1024)
  h.record('alice', 'dddddddddddd', big)
  h.ended(['alice', 'dddddddddddd'])
  const child = spawn(NODE, [join(import.meta.dirname, '../../fixtures/ship-recordings.ts'), JSON.stringify({ endpoint: moto, bucket: b, prefix: PREFIX, host: HOST, recordingsDir: h.recordingsDir, sessionsLog: h.sessionsLog, stateDir: h.stateDir })], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let inFlight = false
  for (let i = 0; i < 600 && !inFlight; i++) {
    inFlight = ((await s3.send(new ListMultipartUploadsCommand({ Bucket: b }))).Uploads ?? []).length > 0
    if (!inFlight) await sleep(20)
  }
  t.ok(inFlight, 'a multipart upload is under way')
  child.kill('SIGKILL')
  await exited
  t.same((await s3.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount ?? 0, 0, 'killed before it completed')
  t.match(await shipperFor(h, moto, b).run(), { uploaded: 1, backlog: { files: 0 } })
  t.equal(sha(await object(b, keyOf('alice', 'dddddddddddd'))), sha(big))
  t.same(Object.values(stateOf(h)).map((e) => e.sha256), [sha(big)])
  t.equal(readFileSync(h.indexFile, 'utf8').trim().split('\n').length, 1)
})

// A TCP relay to moto on a local port that can be closed (S3 away) and opened again.
async function relay (t: Test, target: URL): Promise<{ url: string, close (): Promise<void>, open (): Promise<void> }> {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0
  const open = async (): Promise<void> => {
    server = createServer((c) => {
      const up = connect(Number(target.port), target.hostname)
      for (const s of [c, up]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}) }
      c.pipe(up).pipe(c)
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server?.close(resolve))
  }
  await open()
  t.teardown(close)
  return { url: `http://127.0.0.1:${port}`, close, open }
}

t.test('S3 away: the backlog stays and is said; once S3 is back everything arrives, exactly once in the state', async (t) => {
  const b = await bucket(t)
  const h = host(t)
  const r = await relay(t, new URL(moto))
  const one = randomBytes(1000)
  const two = randomBytes(2000)
  h.record('alice', 'eeeeeeeeeeee', one)
  h.record('carol', 'ffffffffffff', two)
  h.ended(['alice', 'eeeeeeeeeeee'], ['carol', 'ffffffffffff'])
  const logs: Array<Record<string, unknown>> = []
  const shipper = shipperFor(h, r.url, b, logs)
  await r.close()
  const away = await shipper.run()
  t.match(away, { uploaded: 0, failed: 1, backlog: { files: 2, bytes: 3000 } })
  t.match(logs.at(-1), { level: 'error', msg: 'recording not uploaded; retrying later' })
  await r.open()
  await sleep(1100)
  t.match(await shipper.run(), { uploaded: 2, backlog: { files: 0 } })
  t.equal(sha(await object(b, keyOf('alice', 'eeeeeeeeeeee'))), sha(one))
  t.equal(sha(await object(b, keyOf('carol', 'ffffffffffff'))), sha(two))
  t.equal(Object.keys(stateOf(h)).length, 2)
})
