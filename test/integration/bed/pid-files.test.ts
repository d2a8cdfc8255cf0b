// The bed's pid files (test/bed/lib.sh): a pid file counts only when it names the process
// the bed started. A pid file that names someone else's live process (a reused pid, or
// /run outliving its processes) is never signalled by stop_daemon, and start_daemon starts
// the daemon afresh; a pid file written by the older lib.sh for a daemon it started still
// counts. Every test uses its own BASTION_RUN, so the running bed is never touched.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, existsSync, utimesSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'

const ROOT = resolve(import.meta.dirname, '../../..')

function setup (t: { teardown (fn: () => unknown): void }) {
  const run = mkdtempSync(join(tmpdir(), 'bastion-bed-run-'))
  const pids: number[] = []
  t.teardown(() => {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
    rmSync(run, { recursive: true, force: true })
  })
  const env = { ...process.env, BASTION_ROOT: ROOT, BASTION_RUN: run, BASTION_CACHE: join(run, 'cache') }
  // Runs SCRIPT with lib.sh sourced, as the bed's components do.
  const bed = async (script: string) => {
    const r = await execa('bash', ['-c', `source "${ROOT}/test/bed/lib.sh"; ${script}`], { env, reject: false })
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
  }
  // A live process the bed did not start; its output goes to `out` when given.
  const stranger = (out?: string): ChildProcess => {
    const fd = out === undefined ? 'ignore' : openSync(out, 'a')
    const p = spawn('sleep', ['600'], { detached: true, stdio: ['ignore', fd, fd] })
    if (typeof fd === 'number') closeSync(fd)
    p.unref()
    pids.push(p.pid as number)
    return p
  }
  const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }
  const pidIn = (name: string): number => Number(readFileSync(join(run, `${name}.pid`), 'utf8').split('\n')[0])
  return { run, env, bed, stranger, alive, pidIn, pids }
}

t.test('stop_daemon never signals a live process that the pid file names but the bed did not start', async (t) => {
  const { run, bed, stranger, alive } = setup(t)
  const other = stranger()
  writeFileSync(join(run, 'etcd.pid'), `${other.pid}\n`)
  const r = await bed('stop_daemon etcd')
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stderr, /names a process the bed did not start; not signalling it/)
  t.ok(alive(other.pid as number), 'the other process still runs')
  t.notOk(existsSync(join(run, 'etcd.pid')), 'the stale pid file is gone')
})

t.test('a reused pid is not the bed\'s, even when the new process writes to a log file', async (t) => {
  const { run, bed, stranger, alive } = setup(t)
  // The pid file was written an hour ago; the process with that pid now started after.
  writeFileSync(join(run, 'etcd.pid'), '')
  const other = stranger(join(run, 'other.log'))
  writeFileSync(join(run, 'etcd.pid'), `${other.pid}\n`)
  const hourAgo = new Date(Date.now() - 3600_000)
  utimesSync(join(run, 'etcd.pid'), hourAgo, hourAgo)
  t.not((await bed('daemon_pid etcd')).exitCode, 0, 'daemon_pid refuses it')
  await bed('stop_daemon etcd')
  t.ok(alive(other.pid as number), 'and stop_daemon leaves it alone')
})

t.test("a start record that does not match the process is someone else's, whatever else fits", async (t) => {
  const { run, bed, stranger, alive } = setup(t)
  const other = stranger(join(run, 'other.log'))
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  writeFileSync(join(run, 'etcd.pid'), `${other.pid}\n`)
  writeFileSync(join(run, 'etcd.pid.start'), `${other.pid} 1 ${boot}\n`)
  t.not((await bed('daemon_pid etcd')).exitCode, 0)
  await bed('stop_daemon etcd')
  t.ok(alive(other.pid as number))
})

t.test("start_daemon starts the daemon afresh when its pid file names someone else's process", async (t) => {
  const { run, bed, stranger, alive, pidIn, pids } = setup(t)
  const other = stranger()
  writeFileSync(join(run, 'etcd.pid'), `${other.pid}\n`)
  const r = await bed(`start_daemon etcd "${join(run, 'etcd.log')}" sleep 601`)
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stderr, /names no process the bed started \(stale\); starting it afresh/)
  const started = pidIn('etcd')
  pids.push(started)
  t.not(started, other.pid, 'a new process')
  t.equal(readFileSync(`/proc/${started}/cmdline`, 'utf8'), 'sleep\u0000601\u0000')
  t.equal((await bed('daemon_pid etcd')).stdout.trim(), String(started), 'and it counts as the bed\'s')
  t.equal((await bed(`start_daemon etcd "${join(run, 'etcd.log')}" sleep 601`)).stderr, '', 'a second start finds it running')
  t.equal(pidIn('etcd'), started)
  await bed('stop_daemon etcd')
  for (let i = 0; i < 50 && alive(started); i++) await new Promise((r) => setTimeout(r, 100))
  t.notOk(alive(started), 'stop_daemon stops what the bed started')
  t.ok(alive(other.pid as number), 'and nothing else')
})

t.test('a pid file the older lib.sh wrote still counts for the daemon it started', async (t) => {
  const { run, env, bed, alive, pidIn, pids } = setup(t)
  const log = join(run, 'moto.log')
  // Exactly what the older start_daemon did: setsid, output to the log, the pid alone.
  await execa('bash', ['-c', `setsid sleep 602 >>"${log}" 2>&1 </dev/null & echo $! > "${join(run, 'moto.pid')}"`], { env })
  const old = pidIn('moto')
  pids.push(old)
  t.equal((await bed('daemon_pid moto')).stdout.trim(), String(old))
  const r = await bed(`start_daemon moto "${log}" sleep 602`)
  t.equal(r.stderr, '', 'not started again')
  t.equal(pidIn('moto'), old)
  t.match(readFileSync(join(run, 'moto.pid.start'), 'utf8'), new RegExp(`^${old} \\d+ [0-9a-f-]+\\n$`), 'and it gets its start record')
  await bed('stop_daemon moto')
  for (let i = 0; i < 50 && alive(old); i++) await new Promise((r) => setTimeout(r, 100))
  t.notOk(alive(old), 'stop_daemon stops it')
})

t.test('scripts/local status reports a pid file naming another process as stopped', async (t) => {
  const { run, env, stranger } = setup(t)
  const other = stranger()
  writeFileSync(join(run, 'moto.pid'), `${other.pid}\n`)
  const r = await execa(join(ROOT, 'scripts/local'), ['status'], { env, reject: false })
  t.match(String(r.stdout), /^moto: stopped$/m)
})
