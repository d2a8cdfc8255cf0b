// One local account cannot keep anyone else out, on the real sshd and the test bed's
// broker: a flood of idle connections to broker.sock from a real account (nobody) does
// not block another user's login, its oldest unproven claims are told why and closed,
// and a user at shell.broker.maxSessionsPerUser gets their message while others log in.
// Every flood here is bounded in count and in time, and stops by itself.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { parse } from 'yaml'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { SHELL_CONFIG, sleep, withShellConfig } from '../../fixtures/shell.ts'

const NOBODY = Number((await execa('id', ['-u', 'nobody'])).stdout)

// A flooder, run as `nobody` from an inline script (no checkout it may not read): holds
// `count` connections to broker.sock for `seconds` (never longer), half of them silent
// and half with a hello claiming its own uid that never proves it, and opens a new one
// for each the broker closes. Prints "held N" once all are open, then, at the end,
// "closed N" (how many the broker closed) and every refusal text it got.
const FLOOD = `
const net = require('node:net')
const [socket, count, seconds, uid] = process.argv.slice(1).map((a, i) => i === 0 ? a : Number(a))
let open = 0, closed = 0, stopping = false, announced = false
const texts = new Set()
function one (i) {
  const s = net.connect(socket)
  s.on('connect', () => {
    open++
    if (i % 2 === 1) {
      const body = Buffer.from(JSON.stringify({ v: 1, uid }))
      const head = Buffer.alloc(5); head.write('H'); head.writeUInt32BE(body.length, 1)
      s.write(Buffer.concat([head, body]))
    }
    if (!announced && open >= count) { announced = true; console.log('held ' + open) }
  })
  let got = Buffer.alloc(0)
  s.on('data', (c) => { got = Buffer.concat([got, c]) })
  s.on('error', () => {})
  s.on('close', () => {
    open--
    if (stopping) return
    closed++
    for (let at = 0; at + 5 <= got.length;) { const n = got.readUInt32BE(at + 1); if (got[at] === 0x32) texts.add(got.subarray(at + 5, at + 5 + n).toString().trim()); at += 5 + n }
    setTimeout(() => one(i), 500)
  })
}
for (let i = 0; i < count; i++) one(i)
setTimeout(() => { stopping = true; console.log('closed ' + closed); for (const x of texts) console.log('text ' + x); process.exit(0) }, seconds * 1000)
`

function flood (count: number, seconds: number): { held: Promise<void>, done: Promise<string> } {
  const socket = `${sshFacts().runDir}/broker.sock`
  const child = execa('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, '-e', FLOOD, socket, String(count), String(seconds), String(NOBODY)], { reject: false, env: { PATH: '/usr/bin:/bin' }, extendEnv: false, timeout: (seconds + 20) * 1000 })
  const held = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => { if (/held \d+/.test(d.toString())) resolve() })
    void child.then((r) => reject(new Error(`the flood ended before it held its connections: ${String(r.stdout)} ${String(r.stderr)}`)))
  })
  return { held, done: child.then((r) => String(r.stdout)) }
}

// The test bed's broker section, with `patch` on top (withShellConfig replaces whole keys).
function brokerWith (patch: Record<string, unknown>): Record<string, unknown> {
  const doc = parse(readFileSync(SHELL_CONFIG, 'utf8')) as { shell: { broker?: Record<string, unknown> } }
  return { broker: { ...doc.shell.broker, ...patch } }
}

t.test('while nobody holds 200 idle and unproven connections to broker.sock, another user logs in over sshd', async (t) => {
  const f = flood(200, 25)
  await f.held
  for (let i = 0; i < 3; i++) {
    const r = await ssh('bt-bob', 'echo through', { timeoutMs: 60_000 })
    t.equal(r.exitCode, 0, r.stderr)
    t.equal(r.stdout.toString(), 'through\n', `login ${i + 1} during the flood`)
    await sleep(1000)
  }
  const report = await f.done
  t.match(report, /closed [1-9]\d*/, 'the broker closed the flood\'s connections itself, past their handshake deadline')
  t.match(report, /text bastion: Too many connections to the bastion wait to be verified\. Please try again\. \(BASTION_SHELL_TOO_MANY_CONNECTIONS\)/,
    'the flooder\'s oldest claims of its own uid, past shell.broker.maxUnauthenticatedPerUser, were told why')
})

t.test('at shell.broker.maxSessionsPerUser a user\'s next login is refused with their message, and another user still logs in', async (t) => {
  withShellConfig(t, brokerWith({ maxSessionsPerUser: 1 }))
  // The broker reads its limits again at most once a second.
  await sleep(1500)
  const held = ssh('bt-alice', 'echo holding; sleep 15', { timeoutMs: 60_000 })
  let second = await ssh('bt-alice', 'echo second', { timeoutMs: 60_000 })
  // The first may still be starting; its session counts from its proof on.
  for (let i = 0; i < 10 && second.exitCode === 0; i++) { await sleep(500); second = await ssh('bt-alice', 'echo second', { timeoutMs: 60_000 }) }
  t.equal(second.exitCode, 125)
  t.equal(second.stderr, 'bastion: You have as many sessions open as the bastion allows one person. Close one and try again. (BASTION_SHELL_USER_SESSION_LIMIT)\n')
  const bob = await ssh('bt-bob', 'echo bob', { timeoutMs: 60_000 })
  t.equal(bob.exitCode, 0, bob.stderr)
  t.equal(bob.stdout.toString(), 'bob\n', 'another user is not affected')
  const first = await held
  t.equal(first.exitCode, 0, first.stderr)
  const after = await ssh('bt-alice', 'echo again', { timeoutMs: 60_000 })
  t.equal(after.stdout.toString(), 'again\n', 'once the session ended, the user logs in again')
})
