// The session audit trail (one JSON line at the start and end of each session) and where
// the user connected from.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { auditTrail, sourceOf, type SessionRecord } from '../src/audit.ts'
import { lineHash } from '../src/audit-chain.ts'

// A known umask, so file modes are what the code asks for.
const umask = process.umask(0o022)
t.teardown(() => { process.umask(umask) })

const record: SessionRecord = {
  session: '0123456789ab',
  user: 'alice',
  uid: 1001,
  source: { ip: '192.0.2.10', port: 51234 },
  container: 'shell-alice-2bd806c97f',
  kind: 'command',
  command: 'kubectl get pods',
  transfer: null,
  tty: false,
  recording: null,
  statedReason: 'INC-123 pods crash-looping'
}

function read (file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}

t.test('the person\'s reason is statedReason on both lines, apart from the end line\'s reason', async (t) => {
  const file = join(t.testdir(), 'sessions.jsonl')
  const audit = auditTrail(file)
  audit.start(record)
  audit.end(record, { exitCode: 0, durationMs: 5, reason: 'idle', recordingCut: false })
  const [start, end] = read(file)
  t.equal(start?.statedReason, 'INC-123 pods crash-looping')
  t.notOk(Object.hasOwn(start ?? {}, 'reason'), 'the start line has no reason key')
  t.equal(end?.statedReason, 'INC-123 pods crash-looping')
  t.equal(end?.reason, 'idle', 'the end line\'s reason still says why it ended')
})

t.test('a session writes a start line and an end line with every field', async (t) => {
  const file = join(t.testdir(), 'sessions.jsonl')
  const audit = auditTrail(file)
  const before = Date.now()
  audit.start(record)
  audit.end(record, { exitCode: 3, durationMs: 1234, reason: 'exited', recordingCut: false })
  const [start, end, ...rest] = read(file)
  t.same(rest, [])
  t.same(start, { event: 'session-start', time: start?.time, ...record, prev: null })
  t.same(end, { event: 'session-end', time: end?.time, ...record, exitCode: 3, durationMs: 1234, reason: 'exited', recordingCut: false, prev: lineHash(readFileSync(file, 'utf8').split('\n')[0] as string) })
  for (const line of [start, end]) {
    const time = Date.parse(String(line?.time))
    t.match(line?.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    t.ok(time >= before - 1 && time <= Date.now() + 1, 'the time is now')
  }
})

t.test('an interactive session records a null command, its tty and its recording', async (t) => {
  const file = join(t.testdir(), 'sessions.jsonl')
  auditTrail(file).start({ ...record, command: null, tty: true, recording: '/var/log/bastion/recordings/alice/x.cast', source: null })
  t.match(read(file)[0], { command: null, tty: true, recording: '/var/log/bastion/recordings/alice/x.cast', source: null })
})

t.test('each line is one JSON object, whatever the command contains', async (t) => {
  const file = join(t.testdir(), 'sessions.jsonl')
  const command = 'echo "a\nb" \u2028 {"event":"session-end"}'
  auditTrail(file).start({ ...record, command })
  const text = readFileSync(file, 'utf8')
  t.equal(text.split('\n').length, 2, 'one line and the final newline')
  t.equal(read(file)[0]?.command, command)
  t.equal(read(file)[0]?.event, 'session-start')
})

t.test('lines are appended to the existing trail, by every writer', async (t) => {
  const file = join(t.testdir({ 'sessions.jsonl': '{"event":"earlier"}\n' }), 'sessions.jsonl')
  auditTrail(file).start(record)
  auditTrail(file).start({ ...record, session: 'ffffffffffff' })
  t.same(read(file).map((l) => l.event), ['earlier', 'session-start', 'session-start'])
  t.equal(read(file)[2]?.session, 'ffffffffffff')
})

t.test('the trail is created 0640 in a directory created 0750', async (t) => {
  const dir = join(t.testdir(), 'log', 'bastion')
  const file = join(dir, 'sessions.jsonl')
  auditTrail(file).start(record)
  t.equal(statSync(file).mode & 0o777, 0o640)
  t.equal(statSync(dir).mode & 0o777, 0o750)
})

t.test('sourceOf reads the client address and port from SSH_CONNECTION', async (t) => {
  t.same(sourceOf('192.0.2.10 51234 10.0.0.5 22'), { ip: '192.0.2.10', port: 51234 })
  t.same(sourceOf('2001:db8::1 60000 2001:db8::2 22'), { ip: '2001:db8::1', port: 60000 })
})

t.test('sourceOf returns null for a missing or garbled SSH_CONNECTION', async (t) => {
  for (const value of [undefined, '', ' ', '192.0.2.10', '192.0.2.10 ', '192.0.2.10 port 10.0.0.5 22', '192.0.2.10 -1 x 22',
    '192.0.2.10 1.5 x 22', '192.0.2.10 0x16 x 22', ' 192.0.2.10 51234 10.0.0.5 22', '192.0.2.10  51234']) {
    t.equal(sourceOf(value), null, JSON.stringify(value))
  }
})
