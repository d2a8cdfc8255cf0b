// One local account cannot keep anyone else out, on the real sshd and the test bed's
// broker: a flood of idle connections to broker.sock from a real account (nobody) does
// not block another user's login, its oldest unproven claims are told why and closed,
// and a user at shell.broker.maxSessionsPerUser gets their message while others log in.
// Every flood here is bounded in count and in time, and stops by itself.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { parse } from 'yaml'
import { SSH, ssh, sshArgs, sshFacts } from '../../fixtures/ssh.ts'
import { SHELL_CONFIG, ownUser, sleep, withShellConfig } from '../../fixtures/shell.ts'

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
  // env -u: tap's process hooks put their loaders (in the checkout, which nobody may not
  // read) into every child's NODE_OPTIONS.
  const child = execa('/usr/sbin/runuser', ['-u', 'nobody', '--', '/usr/bin/env', '-u', 'NODE_OPTIONS', process.execPath, '-e', FLOOD, socket, String(count), String(seconds), String(NOBODY)], { reject: false, env: { PATH: '/usr/bin:/bin' }, extendEnv: false, timeout: (seconds + 20) * 1000 })
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
  // A user of the test's own: the bed's users may be busy with other suites' limits.
  const user = await ownUser(t, 'bt-victim')
  const f = flood(200, 25)
  await f.held
  for (let i = 0; i < 3; i++) {
    const r = await ssh(user, 'echo through', { timeoutMs: 60_000 })
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
  // A user of this test's own, so that no other suite's sessions count against the
  // limit; and a limit of 4 rather than 1, so that others' suites, which may run a few
  // sessions of one user at once while this test holds its lower limit, are not refused.
  const user = await ownUser(t, 'bt-limits')
  withShellConfig(t, brokerWith({ maxSessionsPerUser: 4 }))
  // The broker reads its limits again at most once a second.
  await sleep(1500)
  const held = [1, 2, 3, 4].map(() => execa(SSH, [...sshArgs(user, ['-T']), 'echo holding; sleep 60'], { reject: false, stdin: 'ignore', env: {} }))
  t.teardown(() => { for (const h of held) h.kill('SIGKILL') })
  await Promise.all(held.map((h) => new Promise<void>((resolve, reject) => {
    h.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('holding')) resolve() })
    void h.then((r) => reject(new Error(`a held session ended: ${String(r.stderr)}`)))
  })))
  const fifth = await ssh(user, 'echo fifth', { timeoutMs: 60_000 })
  t.equal(fifth.exitCode, 125)
  t.equal(fifth.stderr, 'bastion: You have as many sessions open as the bastion allows one person. Close one and try again. (BASTION_SHELL_USER_SESSION_LIMIT)\n')
  const other = await ssh(await ownUser(t, 'bt-other'), 'echo other', { timeoutMs: 60_000 })
  t.equal(other.exitCode, 0, other.stderr)
  t.equal(other.stdout.toString(), 'other\n', 'another user is not affected')
  const one = held[0]
  one?.kill('SIGKILL')
  await one
  let after = await ssh(user, 'echo again', { timeoutMs: 60_000 })
  // The session of the killed client ends once its worker sees the connection close.
  for (let i = 0; i < 20 && after.exitCode !== 0; i++) { await sleep(250); after = await ssh(user, 'echo again', { timeoutMs: 60_000 }) }
  t.equal(after.stdout.toString(), 'again\n', 'once one of their sessions ended, the user logs in again')
})
