// Who logs in is what the kernel proves, not what the login shell claims: a client that
// claims its own uid gets through, one that claims another gets EACCES and nothing else,
// and no proof socket outlives its login. Real sockets, real uids (nobody and daemon).
import t, { type Test } from 'tap'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { handshake, parseRequest, proveUid, type Handshake } from '../../src/broker/handshake.ts'
import { encodeJson, ProtocolError } from '../../src/protocol/frame.ts'
import { claimClientCopy } from '../fixtures/claim-client-copy.ts'

const run = promisify(execFile)
// Run as other users, who may not read the checkout (a 0700 home): a readable copy.
const copy = claimClientCopy()
t.teardown(copy.remove)
const CLIENT = copy.path
const NOBODY = 65534
const DAEMON = 1

interface Bed { socket: string, privateDir: string, authDir: string, results: Array<Promise<Handshake>> }

// A broker socket whose every connection goes through handshake().
async function bed (t: Test, timeoutMs = 2000, onClaim?: (uid: number) => void, reason?: () => Promise<'off' | 'optional' | 'required'>): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-handshake-'))
  chmodSync(dir, 0o755)
  const privateDir = join(dir, 'private')
  const authDir = join(dir, 'auth')
  mkdirSync(privateDir, { mode: 0o700 })
  mkdirSync(authDir, { mode: 0o711 })
  const results: Array<Promise<Handshake>> = []
  const server = createServer({ pauseOnConnect: true }, (s: Socket) => {
    const r = handshake(s, { privateDir, authDir, timeoutMs, ...(onClaim === undefined ? {} : { onClaim }), ...(reason === undefined ? {} : { reason }) })
    r.catch(() => {})
    results.push(r)
  })
  const socket = join(dir, 'broker.sock')
  await new Promise<void>((resolve) => server.listen(socket, () => resolve()))
  chmodSync(socket, 0o666)
  t.teardown(() => { server.close(); rmSync(dir, { recursive: true, force: true }) })
  return { socket, privateDir, authDir, results }
}

async function claim (user: string, socket: string, uid: number, request?: object): Promise<Record<string, unknown>> {
  // tap adds its NODE_OPTIONS to every child it sees spawned; a user's client has none.
  const args = ['-u', user, '--', '/usr/bin/env', '-u', 'NODE_OPTIONS', process.execPath, CLIENT, socket, String(uid), ...(request === undefined ? [] : [JSON.stringify(request)])]
  const { stdout } = await run('/usr/sbin/runuser', args, { env: { PATH: '/usr/bin:/bin' } })
  try {
    return JSON.parse(stdout) as Record<string, unknown>
  } catch {
    throw new Error(`the client printed ${JSON.stringify(stdout)}`)
  }
}

t.test('a login shell that claims its own uid is proven, and its request arrives on the proven connection', async (t) => {
  const b = await bed(t)
  const client = await claim('nobody', b.socket, NOBODY, { command: 'id', tty: true, cols: 120, rows: 40, env: { TERM: 'xterm' }, sshConnection: '10.0.0.5 51234 10.0.0.1 22' })
  t.equal(client.step, 'proven')
  t.equal(client.reason, 'off', 'P says shell.reason is off when the broker names none')
  const hs = await b.results[0]!
  t.equal(hs.uid, NOBODY)
  t.same(hs.request, { command: 'id', tty: true, cols: 120, rows: 40, env: { TERM: 'xterm' }, sshConnection: '10.0.0.5 51234 10.0.0.1 22', reason: undefined })
  hs.channel.socket.destroy()
  t.same(readdirSync(b.authDir), [], 'the proof socket is gone')
  t.same(readdirSync(b.privateDir), [])
})

t.test('P tells the client shell.reason as it is at the hello, and the request\'s reason arrives as sent', async (t) => {
  let mode: 'optional' | 'required' = 'optional'
  const b = await bed(t, 2000, undefined, async () => mode)
  const first = await claim('nobody', b.socket, NOBODY, { command: null, tty: true, reason: ' INC-123 ' })
  t.equal(first.reason, 'optional')
  t.equal((await b.results[0]!).request.reason, ' INC-123 ', 'unchecked: session/reason.ts checks it')
  mode = 'required'
  t.equal((await claim('nobody', b.socket, NOBODY)).reason, 'required')
  t.equal((await b.results[1]!).request.reason, undefined)
  for (const r of b.results) (await r).channel.socket.destroy()
})

t.test('a login shell that claims another uid cannot connect to the proof, and gets no session', async (t) => {
  let seen: { uid: number, mode: number } | undefined
  const b = await bed(t, 800)
  const watch = setInterval(() => {
    for (const f of readdirSync(b.authDir)) {
      const s = statSync(join(b.authDir, f))
      seen = { uid: s.uid, mode: s.mode & 0o777 }
    }
  }, 5)
  t.teardown(() => clearInterval(watch))
  const client = await claim('nobody', b.socket, DAEMON)
  t.match(client, { step: 'prove', code: 'EACCES' }, 'the kernel refuses the connection')
  await t.rejects(b.results[0]!, /claiming uid 1 did not prove it/)
  t.same(seen, { uid: DAEMON, mode: 0o600 }, 'the proof socket was the claimed uid\'s alone, mode 0600')
  t.same(readdirSync(b.authDir), [], 'and is gone after the timeout')
})

t.test('each user proves only their own uid', async (t) => {
  const b = await bed(t, 800)
  t.equal((await claim('daemon', b.socket, DAEMON)).step, 'proven')
  t.match(await claim('daemon', b.socket, NOBODY), { step: 'prove', code: 'EACCES' })
  t.equal((await b.results[0]!).uid, DAEMON)
  await t.rejects(b.results[1]!)
})

t.test('a claim of uid 0, or of no number, gets no proof at all', async (t) => {
  const b = await bed(t)
  for (const uid of [0, -1, 4294967295]) {
    const client = await claim('nobody', b.socket, uid)
    t.equal(client.step, 'connect', `uid ${uid}: the broker just closes`)
  }
  await t.rejects(b.results[0]!, /claimed uid 0, which cannot log in/)
  t.same(readdirSync(b.authDir), [])
})

t.test('the claimed uid is handed over at once, for a lookup during the proof', async (t) => {
  const claims: number[] = []
  const b = await bed(t, 2000, (uid) => claims.push(uid))
  await claim('nobody', b.socket, NOBODY)
  await b.results[0]
  t.same(claims, [NOBODY])
})

t.test('a request must say command and tty; a bad size becomes 80x24, a bad env none', async (t) => {
  t.same(parseRequest({ command: null, tty: false }), { command: undefined, tty: false, cols: 80, rows: 24, env: {}, sshConnection: undefined, reason: undefined })
  t.same(parseRequest({ command: 'ls', tty: true, cols: 0, rows: 30, env: ['TERM=x'], sshConnection: 5 }), { command: 'ls', tty: true, cols: 80, rows: 24, env: {}, sshConnection: undefined, reason: undefined })
  t.throws(() => parseRequest({ tty: false }), ProtocolError)
  t.throws(() => parseRequest({ command: 5, tty: false }), ProtocolError)
  t.throws(() => parseRequest({ command: 'ls' }), ProtocolError)
  t.throws(() => parseRequest({ command: 'ls', tty: 'yes' }), ProtocolError)
})

t.test('a request\'s reason is a string, or absent or null; anything else is a protocol error', async (t) => {
  t.equal(parseRequest({ command: null, tty: true, reason: 'INC-1' }).reason, 'INC-1')
  t.equal(parseRequest({ command: null, tty: true, reason: null }).reason, undefined)
  for (const reason of [5, true, ['INC-1'], { text: 'INC-1' }]) {
    t.throws(() => parseRequest({ command: null, tty: true, reason }), ProtocolError, `reason ${JSON.stringify(reason)}`)
  }
})

t.test('a connection the broker closed to make room gets no proof, whatever it says after', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-handshake-evict-'))
  chmodSync(dir, 0o755)
  mkdirSync(join(dir, 'private'), { mode: 0o700 })
  mkdirSync(join(dir, 'auth'), { mode: 0o711 })
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const when of ['before the hello', 'while the proof is offered'] as const) {
    const ac = new AbortController()
    if (when === 'before the hello') ac.abort()
    const result = new Promise<unknown>((resolve) => {
      const server = createServer({ pauseOnConnect: true }, (s: Socket) => {
        proveUid(s, { privateDir: join(dir, 'private'), authDir: join(dir, 'auth'), timeoutMs: 2000, signal: ac.signal, onClaim: () => { if (when !== 'before the hello') setImmediate(() => ac.abort()) } })
          .then(resolve, resolve).finally(() => server.close())
      })
      server.listen(join(dir, `broker-${when.length}.sock`), () => {
        const c = connect(join(dir, `broker-${when.length}.sock`))
        c.on('error', () => {})
        c.write(encodeJson('H', { v: 1, uid: NOBODY }))
      })
    })
    t.match(await result, { message: /closed to make room for newer ones/ }, when)
  }
  t.same(readdirSync(join(dir, 'auth')), [], 'no proof socket is left')
})
