// A recording's link in bastion audit: the local file while it is there, else, when
// bastion ship uploads recordings, the S3 object derived from the host, user and file.
import t from 'tap'
import { parseConfigText } from '@bastion/config'
import { AuditConfigSchema } from '../../src/audit/config.ts'
import { linkRecordings } from '../../src/audit/recording-links.ts'
import type { SshEntry } from '../../src/audit/entries.ts'
import { renderText } from '../../src/audit/render.ts'

const FILE = '2026-12-07T07-00-00-000Z-0123456789ab.cast'
const entry = (host: string, recording: string | null = `/var/log/bastion/recordings/alice/${FILE}`): SshEntry => ({
  kind: 'ssh', time: '2026-12-07T07:00:00.000Z', origin: { file: 'f', line: 1 }, host, event: 'start', session: '0123456789ab', source: null, container: 'shell-alice', command: null, tty: true, recording
})
const config = (yaml: string) => parseConfigText(AuditConfigSchema, yaml)

t.test('a recording gone from the disk links to its S3 object, under this host\'s ship name or the log\'s host', async (t) => {
  const entries = [entry('bastion-1.corp.example'), entry('bastion-2'), entry('bastion-1.corp.example', null)]
  linkRecordings(entries, config('ship: { recordings: { bucket: rec-bkt } }'), () => false, 'bastion-1.corp.example')
  t.equal(entries[0]?.recordingUrl, `s3://rec-bkt/bastion/recordings/bastion-1/alice/${FILE}`)
  t.equal(entries[1]?.recordingUrl, `s3://rec-bkt/bastion/recordings/bastion-2/alice/${FILE}`)
  t.equal(entries[2]?.recordingUrl, undefined)
  const named = [entry('bastion-1.corp.example')]
  linkRecordings(named, config('ship: { host: b1, recordings: { bucket: rec-bkt, prefix: "x/" } }'), () => false, 'bastion-1.corp.example')
  t.equal(named[0]?.recordingUrl, `s3://rec-bkt/x/b1/alice/${FILE}`)
  const timeline = { user: 'alice', range: {}, roles: [], entries: named, warnings: [], readable: 1 }
  t.match(renderText(timeline), `recording: s3://rec-bkt/x/b1/alice/${FILE}`)
})

t.test('the local file while it is there; no bucket, or a name ship would not upload: the file link', async (t) => {
  const here = [entry('h')]
  linkRecordings(here, config('ship: { recordings: { bucket: rec-bkt } }'), () => true, 'h')
  t.equal(here[0]?.recordingUrl, undefined)
  const unshipped = [entry('h')]
  linkRecordings(unshipped, config('{}'), () => false, 'h')
  t.equal(unshipped[0]?.recordingUrl, undefined)
  const odd = [entry('h', '/var/log/bastion/recordings/../x.cast')]
  linkRecordings(odd, config('ship: { recordings: { bucket: rec-bkt } }'), () => false, 'h')
  t.equal(odd[0]?.recordingUrl, undefined)
  t.match(renderText({ user: 'alice', range: {}, roles: [], entries: odd, warnings: [], readable: 1 }), 'recording: file:///var/log/bastion/recordings/../x.cast')
  const real = [entry('h', '/nonexistent/bt-recording-links/alice/' + FILE)]
  linkRecordings(real, config('ship: { recordings: { bucket: rec-bkt } }'))
  t.match(real[0]?.recordingUrl, /^s3:\/\/rec-bkt\//, 'existsSync and the host name by default')
})

t.test('another host\'s recording links to S3 even when a file at its path exists here: that file is this host\'s', async (t) => {
  const entries = [entry('bastion-2'), entry('b1'), entry('h')]
  linkRecordings(entries, config('ship: { host: b1, recordings: { bucket: rec-bkt } }'), () => true, 'h')
  t.equal(entries[0]?.recordingUrl, `s3://rec-bkt/bastion/recordings/bastion-2/alice/${FILE}`)
  t.equal(entries[1]?.recordingUrl, undefined, 'this host under its ship name: its own file')
  t.equal(entries[2]?.recordingUrl, undefined, 'this host under its full name: its own file')
})
