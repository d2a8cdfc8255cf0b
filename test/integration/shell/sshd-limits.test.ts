// The shipped drop-in's limits on a real sshd of the test's own (test/fixtures/
// sshd-instance.ts), so that holding sshd at a limit never stops the other suites'
// logins on the shared test bed's sshd: a burst from one address (a team behind one NAT
// address) gets in, a flood from one address stops at its own cap while another
// address still logs in, user keys are Ed25519 or RSA of 3072 bits and more, and a
// connection gets four tries.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { firstWords, startSshd } from '../../fixtures/sshd-instance.ts'

const USER = 'bt-plain'
const work = mkdtempSync(join(tmpdir(), 'bt-sshd-limits-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

async function keypair (name: string, type: string, bits?: number): Promise<{ path: string, pub: string }> {
  const path = join(work, name)
  await execa('ssh-keygen', ['-q', '-t', type, ...(bits === undefined ? [] : ['-b', String(bits)]), '-N', '', '-C', name, '-f', path])
  return { path, pub: readFileSync(`${path}.pub`, 'utf8') }
}

// A connection that has seen the server's banner and then just waits, as the first
// moments of many logins at once (or a flood) look to sshd.
async function held (port: number, from: string): Promise<{ socket: Socket, words: string }> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from })
    let got = ''
    socket.setTimeout(20_000, () => { socket.destroy(); reject(new Error('no banner in 20 s')) })
    socket.on('data', (d) => { got += d.toString(); if (got.includes('\n')) { socket.setTimeout(0); resolve({ socket, words: got }) } })
    socket.on('close', () => resolve({ socket, words: got }))
    socket.on('error', reject)
  })
}

const ed25519 = await keypair('ed25519', 'ed25519')
const rsa3072 = await keypair('rsa3072', 'rsa', 3072)
const rsa2048 = await keypair('rsa2048', 'rsa', 2048)
const ecdsa = await keypair('ecdsa', 'ecdsa', 256)
// Last at the top level: a failure after it would leave sshd running (no teardown runs).
const sshd = await startSshd(t, [USER])
sshd.authorize(USER, [ed25519.pub, rsa3072.pub, rsa2048.pub, ecdsa.pub])

t.test('64 connections at once from one address all get in; the 65th is turned away; another address still logs in', async (t) => {
  const conns = await Promise.all(Array.from({ length: 64 }, async () => await held(sshd.port, '127.0.0.1')))
  t.teardown(() => { for (const c of conns) c.socket.destroy() })
  t.same(conns.filter((c) => !c.words.startsWith('SSH-2.0-')).map((c) => c.words), [], 'all 64 got the SSH banner (no random early drop below MaxStartups)')
  t.match(await firstWords(sshd.port, '127.0.0.1'), /^Exceeded MaxStartups/, 'the 65th from the same address is turned away')
  t.match(sshd.log(), /past MaxStartups/, 'sshd logs the drop')
  t.match(await firstWords(sshd.port, '127.0.0.2'), /^SSH-2\.0-/, 'another address gets the banner')
  const login = await sshd.ssh(USER, [ed25519.path], 'echo in', ['-b', '127.0.0.2'])
  t.equal(login.exitCode, 0, login.stderr)
  t.equal(login.stdout, 'in', 'and logs in while the first address is at its cap')
  t.same(conns.filter((c) => c.socket.destroyed || c.socket.readyState !== 'open').length, 0, 'the 64 were still held throughout')
})

t.test('user keys: Ed25519 and RSA-3072 log in; RSA-2048 and ECDSA are refused', async (t) => {
  for (const key of [ed25519, rsa3072]) {
    const r = await sshd.ssh(USER, [key.path], 'true')
    t.equal(r.exitCode, 0, `${key.path}: ${r.stderr}`)
  }
  for (const key of [rsa2048, ecdsa]) {
    const r = await sshd.ssh(USER, [key.path], 'true')
    t.equal(r.exitCode, 255, `${key.path} is refused`)
    t.match(r.stderr, /Permission denied \(publickey\)/)
  }
  t.match(sshd.log(), /RSA key .*(too small|Invalid key length)|Invalid key length/i, 'sshd names the short RSA key')
  t.match(sshd.log(), /ecdsa-sha2-nistp256.* not in PubkeyAcceptedAlgorithms/, 'and the ECDSA key type')
})

t.test('four tries per connection: a fifth key is never tried', async (t) => {
  const strangers = await Promise.all([1, 2, 3, 4].map(async (i) => (await keypair(`stranger${i}`, 'ed25519')).path))
  const third = await sshd.ssh(USER, [...strangers.slice(0, 3), ed25519.path], 'true')
  t.equal(third.exitCode, 0, `the good key as the fourth try logs in: ${third.stderr}`)
  const fifth = await sshd.ssh(USER, [...strangers, ed25519.path], 'true')
  t.equal(fifth.exitCode, 255, 'the good key as the fifth try is never reached')
  t.match(fifth.stderr, /Too many authentication failures/)
})
