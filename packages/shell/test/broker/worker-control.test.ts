// A worker's control socket: root names sessions, the worker ends those it serves and
// says how many; bad requests end nothing; no worker there is an answer of its own.
import t from 'tap'
import type { Test } from 'tap'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { controlSocket, hangUpSessions, listenControl } from '../../src/broker/worker-control.ts'

// Socket paths must be short: a directory under /tmp, not tap's fixtures.
const shortDir = (t: Test): string => { const d = mkdtempSync(join(tmpdir(), 'bt-wc-')); t.teardown(() => rmSync(d, { recursive: true, force: true })); return d }
const listening = (server: ReturnType<typeof listenControl>): Promise<void> => new Promise((resolve) => { if (server.listening) resolve(); else server.once('listening', () => resolve()) })

t.test('the socket is named by pid in the run directory\'s private part', async (t) => {
  t.equal(controlSocket('/run/bastion/shell', 4242), '/run/bastion/shell/private/workers/4242.sock')
})

t.test('named sessions are ended, and the answer counts those the worker served', async (t) => {
  const dir = shortDir(t)
  const path = join(dir, 'private', 'workers', '1.sock')
  const asked: string[][] = []
  const server = listenControl(path, (ids) => { asked.push(ids); return ids.filter((id) => id.startsWith('live')).length }, (err) => t.error(err))
  t.teardown(() => server.close())
  await listening(server)
  t.equal(statSync(join(dir, 'private', 'workers')).mode & 0o777, 0o700, 'the directory is root\'s alone')
  t.equal(await hangUpSessions(path, ['live-a', 'gone-b', 'live-c']), 2)
  t.same(asked, [['live-a', 'gone-b', 'live-c']])
})

t.test('a socket that cannot be made is reported, not thrown', async (t) => {
  const errors: Error[] = []
  const server = listenControl(join(shortDir(t), 'x'.repeat(120), 'w.sock'), () => 0, (err) => errors.push(err))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(errors.length, 1)
  t.notOk(server.listening)
})

t.test('a request that is not a list of names ends nothing', async (t) => {
  const dir = shortDir(t)
  const path = join(dir, 'w.sock')
  const asked: string[][] = []
  const server = listenControl(path, (ids) => { asked.push(ids); return ids.length }, (err) => t.error(err))
  t.teardown(() => server.close())
  await listening(server)
  const send = (line: string): Promise<string> => new Promise((resolve) => {
    const s = connect(path)
    let out = ''
    s.on('connect', () => s.write(line))
    s.on('data', (d) => { out += d.toString() })
    s.on('close', () => resolve(out))
  })
  t.equal(await send('not json\n'), '{"ended":0}\n')
  t.equal(await send('{"hangUp":"x"}\n'), '{"ended":0}\n')
  t.equal(await send('{"hangUp":["a",1,null]}\n'), '{"ended":1}\n', 'names only')
  t.same(asked, [['a']])
  t.equal(await send('x'.repeat(70 * 1024)), '', 'an endless line is cut off')
})

t.test('no worker at the path, or one that never answers, is undefined', async (t) => {
  const dir = shortDir(t)
  t.equal(await hangUpSessions(join(dir, 'none.sock'), ['a']), undefined)
  const path = join(dir, 'stale.sock')
  writeFileSync(path, '')
  t.equal(await hangUpSessions(path, ['a']), undefined, 'a file that is no socket')
  t.ok(existsSync(path))
})
