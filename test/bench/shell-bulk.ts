// npm run bench:shell-bulk: one session's bulk output through this tree's relay (an
// install.sh instance of the bench's own: agent, worker, login shell), beside the same
// over plain ssh to a bash user on the same sshd, interleaved, on an otherwise idle
// host; and what each process on the way spends of CPU per GB of output, sampled from
// /proc while the bastion's transfers run. bench:shell's density run measures the bed's
// broker under 500 sessions; this one measures the tree at hand, hop by hop.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { execa } from 'execa'
import { parse, stringify } from 'yaml'
import { median, printTable, type Row } from '../fixtures/bench-table.ts'
import { SSH, sshFacts } from '../fixtures/ssh.ts'
import { HOME_ROOT, removeContainersOf } from '../fixtures/shell.ts'
import { startShellInstance } from '../fixtures/shell-instance.ts'
import { startSshd, type SshdInstance } from '../fixtures/sshd-instance.ts'

const USER = 'bt-bulkbench'
const PLAIN = 'bt-plain'
const mb = Number(process.env.BENCH_BULK_MB ?? 256)
const runs = Number(process.env.BENCH_RUNS ?? 3)
// 0: the session is not recorded (what the relay costs without the recorder).
const record = process.env.BENCH_RECORD !== '0'
const LINE = '2026-12-03T12:00:00Z INFO a log line of an ordinary length, as services print them'

// CPU ticks per process, by what it is on the path; a process counts from its first sample.
function cpuSampler (): { sample (): void, seconds: Map<string, number> } {
  const ticks = new Map<string, number>()
  const last = new Map<number, number>()
  const tick = 100 // USER_HZ
  return {
    sample () {
      for (const entry of readdirSync('/proc')) {
        if (!/^[0-9]+$/.test(entry)) continue
        let stat: string
        let cmdline: string
        try {
          stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
          cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        } catch { continue }
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        const used = Number(fields[11]) + Number(fields[12])
        const pid = Number(entry)
        const what = pid === process.pid ? 'the bench, reading ssh\'s output' : cmdline.includes('worker-main') ? 'worker (node)' : comm
        const before = last.get(pid)
        if (before !== undefined) ticks.set(what, (ticks.get(what) ?? 0) + used - before)
        last.set(pid, used)
      }
    },
    get seconds () { return new Map([...ticks].map(([k, v]) => [k, v / tick])) }
  }
}

// MB/s of one transfer, every byte counted.
function transfer (sshd: SshdInstance, user: string, onTick?: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let bytes = 0
    const timer = onTick === undefined ? undefined : setInterval(onTick, 100)
    const child = spawn(SSH, sshd.sshArgs(user, [sshFacts().key], `yes '${LINE}' | head -c ${mb}M`, ['-T']), { stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.on('data', (d: Buffer) => { bytes += d.length })
    child.once('error', reject)
    child.once('close', () => {
      clearInterval(timer)
      onTick?.()
      if (bytes !== mb * 1024 * 1024) reject(new Error(`bulk output of ${user}: ${bytes} bytes`))
      else resolve(bytes / 1024 / 1024 / ((performance.now() - t0) / 1000))
    })
  })
}

const fns: Array<() => unknown> = []
const td = { teardown: (fn: () => unknown) => { fns.unshift(fn) } }
const rows: Row[] = []
try {
  const shell = await startShellInstance(td, 'bulkbench')
  if (!record) {
    const path = `${shell.dir}/bastion.yaml`
    const doc = parse(readFileSync(path, 'utf8')) as { shell: { audit: Record<string, unknown> } }
    doc.shell.audit.record = false
    writeFileSync(path, stringify(doc), { mode: 0o600 })
  }
  if ((await execa('id', [USER], { reject: false })).exitCode !== 0) await execa('useradd', ['-m', '-s', shell.loginShell, '-G', 'bastion-users', USER])
  td.teardown(async () => {
    await removeContainersOf(USER)
    await execa('userdel', ['-r', USER], { reject: false })
    await execa('rm', ['-rf', `${HOME_ROOT}/${USER}`])
  })
  const sshd = await startSshd(td, [USER, PLAIN])
  const pub = readFileSync(`${sshFacts().key}.pub`, 'utf8')
  sshd.authorize(USER, [pub])
  sshd.authorize(PLAIN, [pub])
  await sshd.ssh(USER, [sshFacts().key], 'true', ['-T']) // the container, cold
  const cpu = cpuSampler()
  const plain: number[] = []
  const bastion: number[] = []
  for (let i = 0; i < runs; i++) {
    plain.push(await transfer(sshd, PLAIN))
    bastion.push(await transfer(sshd, USER, () => cpu.sample()))
  }
  const p = median(plain)
  const b = median(bastion)
  rows.push([`bulk output of one session, ${mb} MB (MB/s)${record ? '' : ', unrecorded'}`, b.toFixed(0), p.toFixed(0), `${(b / p).toFixed(2)}x plain (target >= 0.7x)`])
  const gb = runs * mb / 1024
  for (const [what, s] of [...cpu.seconds].filter(([, s]) => s / gb >= 0.1).sort((x, y) => y[1] - x[1])) {
    rows.push([`  CPU per GB: ${what} (s)`, (s / gb).toFixed(2), '-', ''])
  }
} finally {
  for (const fn of fns.splice(0)) await fn()
}
printTable('bastion', rows)
