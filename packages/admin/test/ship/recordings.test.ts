// The recordings step of bastion ship, against a fake store: what is due (an ended
// session's recording; a quiet one whose session has no live worker), what is not (a
// live one), the state that survives a restart, a recording that changed after its
// upload, S3 away or refusing (backoff, nothing forgotten), and links in the directory.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { recordingsShipper, type RecordingsOptions } from '../../src/ship/recordings.ts'
import { StoreError, type RecordingStore } from '../../src/ship/recording-store.ts'
import { sessionEnd, sessionStart, tempDir, writeLines } from '../audit/fixtures.ts'

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')
const T0 = Date.parse('2026-12-07T08:00:00Z')

interface Fake extends RecordingStore { objects: Map<string, Buffer>, fail: (() => Error) | undefined, puts: number }

function fakeStore (): Fake {
  const store: Fake = {
    url: 's3://bkt',
    objects: new Map(),
    fail: undefined,
    puts: 0,
    async put (key, rec, sum) {
      store.puts++
      if (store.fail !== undefined) throw store.fail()
      const bytes = await rec.bytes()
      if (sha(bytes) !== sum) throw new Error('checksum mismatch')
      store.objects.set(key, bytes)
    }
  }
  return store
}

function bed (t: Test, live: Set<string> = new Set()) {
  const dir = tempDir(t)
  const recordingsDir = join(dir, 'recordings')
  const sessionsLog = join(dir, 'sessions.jsonl')
  const stateDir = join(dir, 'ship')
  const store = fakeStore()
  const logs: Array<Record<string, unknown>> = []
  let clock = T0
  const opts: RecordingsOptions = {
    recordingsDir, sessionsLog, shellStateDir: join(dir, 'state'), prefix: 'bastion/recordings/', host: 'bastion-1', stateDir,
    indexFile: join(stateDir, 'recordings-index.jsonl'), store, log: (l) => logs.push(l as Record<string, unknown>), now: () => clock,
    isLive: async (_user, session) => live.has(session)
  }
  const name = (session: string): string => `2026-12-07T07-00-00-000Z-${session}.cast`
  const record = (user: string, session: string, text: string, ageMs = 0): string => {
    mkdirSync(join(recordingsDir, user), { recursive: true })
    const path = join(recordingsDir, user, name(session))
    writeFileSync(path, text)
    const at = new Date(clock - ageMs)
    utimesSync(path, at, at)
    return path
  }
  const ended = (...sessions: Array<[string, string]>): void => {
    writeLines(sessionsLog, sessions.flatMap(([user, session]) => [sessionStart(user, session, '2026-12-07T07:00:00.000Z'), sessionEnd(user, session, '2026-12-07T07:00:00.000Z')]))
  }
  return { opts, store, logs, record, ended, name, recordingsDir, stateDir, tick: (ms: number) => { clock += ms }, index: () => existsSync(opts.indexFile) ? readFileSync(opts.indexFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [] }
}

t.test('an ended session\'s recording is uploaded with its bytes and indexed; a live one is not', async (t) => {
  const b = bed(t)
  b.record('alice', 'aaaaaaaaaaaa', 'ended\n')
  b.record('alice', 'bbbbbbbbbbbb', 'live\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  const r = await recordingsShipper(b.opts).run()
  t.same(r, { uploaded: 1, failed: 0, live: 1, backlog: { files: 0, bytes: 0, oldestMs: null } })
  const key = `bastion/recordings/bastion-1/alice/${b.name('aaaaaaaaaaaa')}`
  t.same([...b.store.objects.keys()], [key])
  t.equal(b.store.objects.get(key)?.toString(), 'ended\n')
  const [line, ...more] = b.index()
  t.same(more, [])
  t.match(line, { host: 'bastion-1', user: 'alice', session: 'aaaaaaaaaaaa', path: join(b.recordingsDir, 'alice', b.name('aaaaaaaaaaaa')), key, url: `s3://bkt/${key}`, bytes: 6, sha256: sha('ended\n'), version: 1 })
  t.match(JSON.parse(readFileSync(join(b.stateDir, 'recordings-state.json'), 'utf8')), { version: 1, uploaded: { [`alice/${b.name('aaaaaaaaaaaa')}`]: { key, sha256: sha('ended\n'), size: 6 } } })
})

t.test('a restart uploads nothing that was confirmed, and a second run nothing at all', async (t) => {
  const b = bed(t)
  b.record('alice', 'aaaaaaaaaaaa', 'x\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  t.equal((await recordingsShipper(b.opts).run()).uploaded, 1)
  const again = recordingsShipper(b.opts)
  t.equal((await again.run()).uploaded, 0)
  t.equal((await again.run()).uploaded, 0)
  t.equal(b.store.puts, 1)
  t.equal(b.index().length, 1)
})

t.test('a quiet recording without an end line goes once its session has no live worker', async (t) => {
  const live = new Set(['cccccccccccc'])
  const b = bed(t, live)
  b.record('bob', 'cccccccccccc', 'idle\n', 11 * 60_000)
  b.record('bob', 'dddddddddddd', 'fresh\n', 60_000)
  const s = recordingsShipper(b.opts)
  t.match(await s.run(), { uploaded: 0, live: 2 }, 'quiet but live; not quiet yet')
  live.delete('cccccccccccc')
  t.match(await s.run(), { uploaded: 1, live: 1 }, 'the worker died: the quiet one goes')
  b.tick(10 * 60_000)
  t.match(await s.run(), { uploaded: 1, live: 0 }, 'the other one, once quiet')
  t.same(b.index().map((l) => l.session), ['cccccccccccc', 'dddddddddddd'])
})

t.test('a recording that changed after its upload goes again as version 2, the first object stays; a mere touch does not', async (t) => {
  const b = bed(t)
  const path = b.record('alice', 'aaaaaaaaaaaa', 'one\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  const s = recordingsShipper(b.opts)
  await s.run()
  utimesSync(path, new Date(T0 - 5000), new Date(T0 - 5000))
  t.match(await s.run(), { uploaded: 1 }, 'the touch is taken in without an upload')
  t.equal(b.store.puts, 1)
  writeFileSync(path, 'one\ntwo\n')
  // Quiet on the test's clock, not the machine's (its session's end line was taken in
  // with the first upload, so a change goes once the file is quiet).
  utimesSync(path, new Date(T0 - 11 * 60_000), new Date(T0 - 11 * 60_000))
  t.match(await s.run(), { uploaded: 1 })
  const base = `bastion/recordings/bastion-1/alice/${b.name('aaaaaaaaaaaa').replace(/\.cast$/, '')}`
  t.equal(b.store.objects.get(`${base}.cast`)?.toString(), 'one\n')
  t.equal(b.store.objects.get(`${base}.v2.cast`)?.toString(), 'one\ntwo\n')
  t.ok(b.logs.some((l) => String(l.msg).includes('changed after its upload')))
  t.same(b.index().map((l) => l.version), [1, 2])
})

t.test('S3 away: nothing is forgotten, retries back off, and all goes once it is back', async (t) => {
  const b = bed(t)
  b.record('alice', 'aaaaaaaaaaaa', 'a\n', 2000)
  b.record('alice', 'bbbbbbbbbbbb', 'bb\n', 1000)
  b.ended(['alice', 'aaaaaaaaaaaa'], ['alice', 'bbbbbbbbbbbb'])
  const s = recordingsShipper(b.opts)
  b.store.fail = () => new StoreError('S3 did not take it: ECONNREFUSED', false, undefined)
  t.same(await s.run(), { uploaded: 0, failed: 1, live: 0, backlog: { files: 2, bytes: 5, oldestMs: T0 - 2000 } })
  t.equal(b.store.puts, 1, 'the rest waits after the first failure')
  t.match(await s.run(), { failed: 0, backlog: { files: 2 } }, 'within the backoff: no call')
  t.equal(b.store.puts, 1)
  b.tick(1000)
  await s.run()
  t.equal(b.store.puts, 2, 'after 1 s, one more try')
  b.tick(1000)
  await s.run()
  t.equal(b.store.puts, 2, 'the next wait is 2 s')
  t.match(b.logs.at(-1), { level: 'error', retryInMs: 2000 })
  b.store.fail = undefined
  b.tick(1000)
  t.match(await s.run(), { uploaded: 2, backlog: { files: 0 } })
})

t.test('AccessDenied: the error names the permission, and the next try waits 5 minutes', async (t) => {
  const b = bed(t)
  b.record('alice', 'aaaaaaaaaaaa', 'a\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  const s = recordingsShipper(b.opts)
  b.store.fail = () => new StoreError('S3 refused it (AccessDenied): the host\'s role needs s3:PutObject on arn:aws:s3:::bkt/bastion/recordings/*', true, Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }))
  await s.run()
  t.match(b.logs.at(-1), { err: /s3:PutObject on arn:aws:s3:::bkt\/bastion\/recordings\/\*/, code: 'AccessDenied', retryInMs: 300_000 })
  b.store.fail = undefined
  b.tick(299_000)
  t.match(await s.run(), { uploaded: 0 })
  b.tick(1000)
  t.match(await s.run(), { uploaded: 1 })
})

t.test('links in the recordings directory are never followed, and said once', async (t) => {
  const b = bed(t)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'secret.cast'), 'secret\n')
  mkdirSync(join(dir, 'eve'))
  writeFileSync(join(dir, 'eve', b.name('eeeeeeeeeeee')), 'secret\n')
  b.record('alice', 'aaaaaaaaaaaa', 'a\n')
  symlinkSync(join(dir, 'secret.cast'), join(b.recordingsDir, 'alice', b.name('ffffffffffff')))
  symlinkSync(join(dir, 'eve'), join(b.recordingsDir, 'eve'))
  writeFileSync(join(b.recordingsDir, 'alice', '..odd.cast'), 'x')
  b.ended(['alice', 'aaaaaaaaaaaa'], ['alice', 'ffffffffffff'], ['eve', 'eeeeeeeeeeee'])
  const s = recordingsShipper(b.opts)
  t.match(await s.run(), { uploaded: 1 })
  await s.run()
  t.same([...b.store.objects.values()].map(String), ['a\n'])
  t.same(b.logs.filter((l) => l.msg === 'not uploaded').map((l) => l.why).sort(), ['a symbolic link, not followed', 'a symbolic link, not followed', 'not a recording\'s file name'])
})

t.test('a state that cannot be read is said, and the recordings go again under the same keys', async (t) => {
  const b = bed(t)
  b.record('alice', 'aaaaaaaaaaaa', 'a\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  mkdirSync(b.stateDir, { recursive: true })
  writeFileSync(join(b.stateDir, 'recordings-state.json'), '{"version": 9}')
  t.match(await recordingsShipper(b.opts).run(), { uploaded: 1 })
  t.match(b.logs[0], { level: 'error', msg: /cannot be read/ })
})

t.test('no recordings directory yet: nothing to do; an abort stops before the next upload', async (t) => {
  const b = bed(t)
  t.same(await recordingsShipper(b.opts).run(), { uploaded: 0, failed: 0, live: 0, backlog: { files: 0, bytes: 0, oldestMs: null } })
  b.record('alice', 'aaaaaaaaaaaa', 'a\n')
  b.ended(['alice', 'aaaaaaaaaaaa'])
  const ac = new AbortController()
  ac.abort()
  t.match(await recordingsShipper(b.opts).run(ac.signal), { uploaded: 0, backlog: { files: 1 } })
})

t.test('a bad prefix or host is refused at once', async (t) => {
  const b = bed(t)
  t.throws(() => recordingsShipper({ ...b.opts, prefix: '/abs/' }), /prefix/)
  t.throws(() => recordingsShipper({ ...b.opts, prefix: 'a/../b/' }), /prefix/)
  t.throws(() => recordingsShipper({ ...b.opts, host: '..' }), /ship.host/)
})

t.test('a recording that changes during its upload is not taken as uploaded; one gone before its turn does not stop the others', async (t) => {
  const b = bed(t)
  const first = b.record('alice', 'aaaaaaaaaaaa', 'a\n', 2000)
  const second = b.record('alice', 'bbbbbbbbbbbb', 'b\n', 1000)
  b.record('alice', 'cccccccccccc', 'c\n')
  b.ended(['alice', 'aaaaaaaaaaaa'], ['alice', 'bbbbbbbbbbbb'], ['alice', 'cccccccccccc'])
  const put = b.store.put.bind(b.store)
  b.store.put = async (key, rec, sum) => {
    await put(key, rec, sum)
    if (key.includes('aaaaaaaaaaaa')) {
      writeFileSync(first, 'a\nmore\n')
      rmSync(second)
    }
  }
  const r = await recordingsShipper(b.opts).run()
  t.match(r, { uploaded: 1, failed: 1, backlog: { files: 2 } })
  t.ok(b.logs.some((l) => String(l.msg).includes('changed while it was uploaded')))
  t.ok(b.logs.some((l) => l.msg === 'recording not uploaded' && l.path === second))
  t.same(b.index().map((l) => l.session), ['cccccccccccc'])
})

t.test('a recordings directory that cannot be read fails the call', async (t) => {
  const b = bed(t)
  const file = join(tempDir(t), 'f')
  writeFileSync(file, '')
  await t.rejects(recordingsShipper({ ...b.opts, recordingsDir: join(file, 'x') }).run(), { code: 'ENOTDIR' })
})
