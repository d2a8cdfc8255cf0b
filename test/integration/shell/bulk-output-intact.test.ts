// Bulk output arrives whole, byte for byte, through the real path (this tree's agent,
// worker and login shell, in an install.sh instance of the test's own; a real sshd and
// ssh; Docker): one density bench run once counted a 256 MB transfer 36,864 bytes short
// (the worker ended the session when the agent's socket closed, while the last output
// and the exit status still waited in the channel for a slow client). Each transfer has a known size and sha256; some end with a command that exits
// right after its last byte, and some go to a reader that stops for longer than the
// agent lingers after its exit status, so that backpressure reaches the agent and the
// exit status waits behind unread output.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { parse } from 'yaml'
import { SSH, sshFacts } from '../../fixtures/ssh.ts'
import { removeContainersOf, SHELL_CONFIG } from '../../fixtures/shell.ts'
import { startShellInstance } from '../../fixtures/shell-instance.ts'
import { startSshd, type SshdInstance } from '../../fixtures/sshd-instance.ts'

const USER = 'bt-bulk'
const MB = 1024 * 1024
const LINE = '2026-12-03T12:00:00Z INFO a log line of an ordinary length, as services print them\n'

interface Received { exitCode: number | null, bytes: number, sha: string, stderr: string }

// How the reader on the client's side takes the output: at once, or pausing `ms` after
// every `every` bytes, and once for `longMs` when `left` bytes are still to come.
interface Pace { every: number, ms: number, left?: number, longMs?: number }

// Runs one command over ssh, hashing its stdout as it comes, at the reader's pace.
function transfer (sshd: SshdInstance, command: string, size: number, pace?: Pace): Promise<Received> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSH, sshd.sshArgs(USER, [sshFacts().key], command, ['-T']), { stdio: ['ignore', 'pipe', 'pipe'] })
    const hash = createHash('sha256')
    let bytes = 0
    let stderr = ''
    let sincePause = 0
    let longDone = false
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (s: string) => { stderr += s })
    child.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk)
      bytes += chunk.length
      sincePause += chunk.length
      if (pace === undefined) return
      let ms = 0
      if (pace.left !== undefined && !longDone && size - bytes <= pace.left) { longDone = true; ms = pace.longMs ?? 0 }
      if (sincePause >= pace.every) { sincePause = 0; ms = Math.max(ms, pace.ms) }
      if (ms > 0) {
        child.stdout.pause()
        setTimeout(() => child.stdout.resume(), ms)
      }
    })
    child.once('error', reject)
    // 'close' comes after stdout and stderr have ended: every byte has been counted.
    child.once('close', (code) => resolve({ exitCode: code, bytes, sha: hash.digest('hex'), stderr }))
  })
}

// Random bytes, whose sha256 the container computes and sends on stderr; the command
// ends as soon as tee has written the last byte.
const random = (size: number): string => `head -c ${size} /dev/urandom | tee >(sha256sum >&2)`
// Lines of text as `kubectl logs` gives them (the bench's), known here in advance;
// head is the last writer and exits right after its last byte.
const lines = (size: number): string => `yes '${LINE.trimEnd()}' | exec head -c ${size}`
function linesSha (size: number): string {
  const hash = createHash('sha256')
  const block = Buffer.from(LINE.repeat(Math.ceil(MB / LINE.length)))
  for (let left = size; left > 0; left -= block.length) hash.update(left >= block.length ? block : block.subarray(0, left))
  return hash.digest('hex')
}

function check (t: Test, what: string, r: Received, size: number, sha: string | undefined): void {
  t.equal(r.exitCode, 0, `${what}: exit code`)
  t.equal(r.bytes, size, `${what}: every byte arrived`)
  const want = sha ?? /^([0-9a-f]{64}) {2}-$/m.exec(r.stderr)?.[1]
  t.ok(want !== undefined, `${what}: the container sent its sha256 (stderr: ${JSON.stringify(r.stderr.slice(0, 200))})`)
  t.equal(r.sha, want, `${what}: the bytes are the ones sent`)
}

t.test('bulk output arrives whole and unchanged, however the reader takes it', async (t) => {
  const shell = await startShellInstance(t, 'bulk')
  if ((await execa('id', [USER], { reject: false })).exitCode !== 0) await execa('useradd', ['-m', '-s', shell.loginShell, '-G', 'bastion-users', USER])
  t.teardown(async () => {
    await removeContainersOf(USER)
    await execa('userdel', ['-r', USER], { reject: false })
    rmSync(join(parse(readFileSync(SHELL_CONFIG, 'utf8')).shell.homeRoot as string, USER), { recursive: true, force: true })
  })
  await removeContainersOf(USER)
  const sshd = await startSshd(t, [USER])
  sshd.authorize(USER, [readFileSync(`${sshFacts().key}.pub`, 'utf8')])
  const warm = await transfer(sshd, 'true', 0)
  t.equal(warm.exitCode, 0, 'the user logs in (the container is made)')

  t.test('30 transfers of 4 to 32 MB, three at a time, at full speed', async (t) => {
    const sizes = Array.from({ length: 30 }, (_, i) => (4 + (i * 7) % 29) * MB + (i * 4099) % 65541)
    for (let i = 0; i < sizes.length; i += 3) {
      await Promise.all(sizes.slice(i, i + 3).map(async (size, j) => {
        const n = i + j
        const r = await transfer(sshd, n % 2 === 0 ? random(size) : lines(size), size)
        check(t, `transfer ${n} (${size} bytes, ${n % 2 === 0 ? 'random' : 'lines'})`, r, size, n % 2 === 0 ? undefined : linesSha(size))
      }))
    }
  })

  t.test('128 MB to a slow reader that stops for longer than the agent lingers', async (t) => {
    const size = 128 * MB
    // The long stop comes with this much still to read: from what fits in the buffers
    // after the worker (the exit status read, the agent gone) to more than they hold
    // (the agent blocked, the worker holding unread output and the exit status).
    for (const [i, left] of [256 * 1024, 4 * MB, 24 * MB].entries()) {
      const pace: Pace = { every: MB, ms: 25, left, longMs: 6500 }
      const r = await transfer(sshd, i === 1 ? lines(size) : random(size), size, pace)
      check(t, `slow reader, long stop ${left} bytes before the end`, r, size, i === 1 ? linesSha(size) : undefined)
    }
  })

  t.test('a command that writes its last bytes and exits while the reader is stopped', async (t) => {
    const size = 8 * MB + 12345
    const r = await transfer(sshd, random(size), size, { every: 64 * 1024, ms: 0, left: size, longMs: 6500 })
    check(t, 'reader stopped from the first byte', r, size, undefined)
  })
})
