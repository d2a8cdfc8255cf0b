// The recordings step as bastion ship wires it: its pass as status.json's `recordings`,
// an upload that fails kept as the status's error (AccessDenied named so), its log lines
// on the shipper's stderr. S3 here is an endpoint that refuses connections, on loopback.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { parseConfigText } from '@bastion/config'
import { ShipConfigSchema, shipSettings } from '../../src/ship/config.ts'
import { recordingsStep } from '../../src/ship/recordings-step.ts'
import { sessionEnd, sessionStart, tempDir, writeLines } from '../audit/fixtures.ts'

function setup (t: Parameters<typeof tempDir>[0], endpoint = 'http://127.0.0.1:9') {
  const dir = tempDir(t)
  const config = parseConfigText(ShipConfigSchema, `ship: { enabled: true, host: bastion-1, endpoint: "${endpoint}", stateDir: ${dir}/ship, recordings: { bucket: trail-bucket } }\n` +
    `shell: { stateDir: ${dir}/state, audit: { file: ${dir}/sessions.jsonl, recordingsDir: ${dir}/recordings } }\n`)
  const lines: string[] = []
  const step = recordingsStep(config, shipSettings(config), 'trail-bucket', (level) => (m) => { lines.push(`${level}${m}`) })
  return { dir, step, lines }
}

t.test('nothing to upload: a status with no backlog and no error', async (t) => {
  const { step } = setup(t)
  t.same(await step(AbortSignal.timeout(5000)), { bucket: 'trail-bucket', uploaded: 0, failed: 0, live: 0, backlogFiles: 0, backlogBytes: 0, oldestUnshipped: null, error: null })
})

t.test('an upload S3 does not take: failed, kept in the backlog, the error in the status and on stderr', async (t) => {
  const { dir, step, lines } = setup(t)
  mkdirSync(join(dir, 'recordings', 'johnsmith'), { recursive: true })
  writeFileSync(join(dir, 'recordings', 'johnsmith', '2026-12-07T07-00-00-000Z-aaaaaaaaaaaa.cast'), '{"version":2}\n')
  writeLines(join(dir, 'sessions.jsonl'), [sessionStart('johnsmith', 'aaaaaaaaaaaa', '2026-12-07T07:00:00.000Z'), sessionEnd('johnsmith', 'aaaaaaaaaaaa', '2026-12-07T07:00:00.000Z')])
  const r = await step(AbortSignal.timeout(60_000))
  t.match(r, { bucket: 'trail-bucket', uploaded: 0, failed: 1, backlogFiles: 1, error: { code: 'UploadFailed', message: /recording not uploaded/ } })
  t.ok(lines.some((l) => /^warning: recordings: recording not uploaded/.test(l)), lines.join('\n'))
})

// An S3 stand-in on loopback that answers every request with one error, as S3 does.
async function refusingS3 (t: Parameters<typeof tempDir>[0], status: number, code: string, message: string): Promise<string> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml' })
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`)
    })
  })
  // Keys for the SDK to sign with (the stand-in reads none), put back afterwards.
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE'
  process.env.AWS_SECRET_ACCESS_KEY = 'example-secret'
  t.teardown(() => {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}

function oneEndedRecording (dir: string): void {
  mkdirSync(join(dir, 'recordings', 'johnsmith'), { recursive: true })
  writeFileSync(join(dir, 'recordings', 'johnsmith', '2026-12-07T07-00-00-000Z-aaaaaaaaaaaa.cast'), '{"version":2}\n')
  writeLines(join(dir, 'sessions.jsonl'), [sessionStart('johnsmith', 'aaaaaaaaaaaa', '2026-12-07T07:00:00.000Z'), sessionEnd('johnsmith', 'aaaaaaaaaaaa', '2026-12-07T07:00:00.000Z')])
}

t.test('S3\'s AccessDenied is the status\'s AccessDenied, by its error code', async (t) => {
  const { dir, step } = setup(t, await refusingS3(t, 403, 'AccessDenied', 'Access Denied'))
  oneEndedRecording(dir)
  t.match(await step(AbortSignal.timeout(60_000)), { failed: 1, error: { code: 'AccessDenied', message: /s3:PutObject on arn:aws:s3:::trail-bucket\// } })
})

t.test('another error whose text says AccessDenied is not called a denial', async (t) => {
  const { dir, step } = setup(t, await refusingS3(t, 500, 'InternalError', 'retry: AccessDenied was not the cause'))
  oneEndedRecording(dir)
  const r = await step(AbortSignal.timeout(60_000))
  t.match(r, { failed: 1, error: { code: 'UploadFailed', message: /AccessDenied was not the cause/ } })
})
