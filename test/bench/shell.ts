// npm run bench:shell: what the shell adds to an ssh login, beside plain ssh to a bash
// user on the same sshd, measured in the same run, for an account kept outside IAM (its
// key in a file) and for one that `bastion users sync` made from IAM (its key from the
// AuthorizedKeysCommand); how long a change of access groups in IAM takes to become a
// working (or a refused) login, and one sync run for 50 people; and 50 concurrent
// logins by 25 users, all from 127.0.0.1, through the throttling of the shipped sshd
// drop-in (the bed's sshd sets no limit of its own); and 500 sessions held open by 100
// users, with memory per session, logins and bulk output measured under that load.
import { execa, execaSync } from 'execa'
import { GetGroupCommand, paginateListGroups, paginateListSSHPublicKeys } from '@aws-sdk/client-iam'
import { median, printTable, type Row } from '../fixtures/bench-table.ts'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SSH, ssh, sshFacts } from '../fixtures/ssh.ts'
import { HOME_ROOT, containersOf, removeContainersOf, startBroker, stopBroker, withShellConfig } from '../fixtures/shell.ts'
import { startSshd } from '../fixtures/sshd-instance.ts'
import { BASTION, NODE, iamPeople, type IamPeople } from '../fixtures/iam-people.ts'

const runs = Number(process.env.BENCH_RUNS ?? 15)
const changeRuns = Number(process.env.BENCH_CHANGE_RUNS ?? 5)
const syncPeople = Number(process.env.BENCH_SYNC_PEOPLE ?? 50)
const rows: Row[] = []
// Every person from IAM the bench makes is named bt-ib-*; each part has a moto account
// of its own, new in each run.
const PREFIX = 'bt-ib-'
const GROUP = 'k8s-user@hyades@taurus'
const runId = String(Date.now()).slice(-10)
const ratio = (x: number, base: number): string => `${(x / base).toFixed(2)}x`
let plainMs: number | undefined

// What a test's t.teardown is, for the fixtures; run() undoes in reverse order.
function teardowns (): { teardown (fn: () => unknown): void, run (): Promise<void> } {
  const fns: Array<() => unknown> = []
  return {
    teardown: (fn) => { fns.unshift(fn) },
    async run () { for (const fn of fns.splice(0)) await fn() }
  }
}

async function withPeople (part: string, body: (people: IamPeople, td: ReturnType<typeof teardowns>) => Promise<void>): Promise<void> {
  const td = teardowns()
  const people = await iamPeople(PREFIX, `${part}${runId}`.slice(-12).padStart(12, '1'))
  td.teardown(() => people.cleanup())
  try { await body(people, td) } finally { await td.run() }
}

// On an sshd of the bench's own with this tree's shipped drop-in, so with its
// AuthorizedKeysCommand (the bed's sshd has the drop-in of the tree that set it up).
async function logins (): Promise<void> {
  await withPeople('1', async (people, td) => {
    const ann = await people.person(`${PREFIX}login`, [GROUP])
    await people.sync()
    const sshd = await startSshd(td, ['bt-plain', 'bt-alice', 'bt-bob', ann.name])
    const bedKey = readFileSync(`${sshFacts().key}.pub`, 'utf8')
    for (const u of ['bt-plain', 'bt-alice', 'bt-bob']) sshd.authorize(u, [bedKey])
    // No file anywhere holds Ann's key: only the keys command can let her in.
    const home = execaSync('getent', ['passwd', ann.name]).stdout.split(':')[5] ?? ''
    if (existsSync(join(sshd.dir, 'keys', ann.name)) || existsSync(join(home, '.ssh/authorized_keys'))) throw new Error(`${ann.name} has an authorized_keys file`)
    td.teardown(() => removeContainersOf(ann.name))
    const timed = async (user: string, key: string): Promise<number> => {
      const t0 = performance.now()
      const r = await sshd.ssh(user, [key], 'true')
      if (r.exitCode !== 0) throw new Error(`ssh ${user} true failed: ${r.stderr}`)
      return performance.now() - t0
    }
    const bed = sshFacts().key
    await timed('bt-plain', bed)
    await timed('bt-alice', bed)
    await timed(ann.name, ann.key)
    const series: Record<string, number[]> = { plain: [], warm: [], cold: [], iamWarm: [], iamCold: [] }
    // Interleaved, so that machine noise falls on all five alike.
    for (let i = 0; i < runs; i++) {
      series.plain!.push(await timed('bt-plain', bed))
      series.warm!.push(await timed('bt-alice', bed))
      series.iamWarm!.push(await timed(ann.name, ann.key))
      await removeContainersOf('bt-bob')
      series.cold!.push(await timed('bt-bob', bed))
      await removeContainersOf(ann.name)
      series.iamCold!.push(await timed(ann.name, ann.key))
    }
    const p = median(series.plain!)
    plainMs = p
    const m = (k: string): number => median(series[k]!)
    rows.push([`plain ssh true, bash user (median of ${runs}, ms)`, p.toFixed(0), '-', 'baseline'])
    rows.push(['warm login: ssh true, container exists (ms)', m('warm').toFixed(0), p.toFixed(0), `${ratio(m('warm'), p)} plain (target <= 1.4x)`])
    rows.push(['cold login: ssh true, no container yet (ms)', m('cold').toFixed(0), p.toFixed(0), `${ratio(m('cold'), p)} plain (target <= 2.5x)`])
    rows.push(['warm login, account and key from IAM (ms)', m('iamWarm').toFixed(0), p.toFixed(0), `${ratio(m('iamWarm'), p)} plain (target <= 1.4x)`])
    rows.push(['cold login, account and key from IAM (ms)', m('iamCold').toFixed(0), p.toFixed(0), `${ratio(m('iamCold'), p)} plain (target <= 2.5x)`])
    // The keys command alone, as sshd runs it (as bastion-keys), beside the same start of
    // a process as that user that does nothing. sshd reads the keys file first and runs
    // the command only when the file has no match, then twice: for the client's query of
    // the key and for its signed attempt (OpenSSH 9.2, sshd -d).
    const keysMs = async (args: string[]): Promise<number> => {
      const xs: number[] = []
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now()
        await execa('runuser', ['-u', 'bastion-keys', '--', ...args])
        xs.push(performance.now() - t0)
      }
      return median(xs)
    }
    const nothing = await keysMs(['/bin/true'])
    const ours = await keysMs(['/usr/local/libexec/bastion/bastion-authorized-keys', ann.name])
    rows.push(['  keys command, run as bastion-keys (ms)', ours.toFixed(1), nothing.toFixed(1), `${ratio(ours, nothing)} runuser true; run twice per IAM login`])
  })
}

// A group change in IAM to a working login, and back to a refused one, with one
// `bastion users sync` in between, as its timer runs it; each time a new person.
async function change (): Promise<void> {
  await withPeople('2', async (people, td) => {
    const ps = []
    for (let i = 1; i <= changeRuns; i++) ps.push(await people.person(`${PREFIX}new${i}`))
    const sshd = await startSshd(td, ps.map((p) => p.name))
    const s: Record<string, number[]> = { toLogin: [], addSync: [], firstLogin: [], toRefused: [], removeSync: [] }
    for (const p of ps) {
      td.teardown(() => removeContainersOf(p.name))
      const t0 = performance.now()
      await people.join(p.name, GROUP)
      s.addSync!.push((await people.sync()).ms)
      const t1 = performance.now()
      const r = await sshd.ssh(p.name, [p.key], 'true')
      const t2 = performance.now()
      if (r.exitCode !== 0) throw new Error(`${p.name} could not log in after the sync: ${r.stderr}`)
      s.toLogin!.push(t2 - t0)
      s.firstLogin!.push(t2 - t1)
      const t3 = performance.now()
      await people.leave(p.name, GROUP)
      s.removeSync!.push((await people.sync()).ms)
      const refused = await sshd.ssh(p.name, [p.key], 'true')
      if (refused.exitCode !== 255) throw new Error(`${p.name} was not refused after leaving every group: ${refused.exitCode} ${refused.stderr}`)
      s.toRefused!.push(performance.now() - t3)
    }
    const m = (k: string): string => (median(s[k]!) / 1000).toFixed(2)
    const base = plainMs === undefined ? '-' : (plainMs / 1000).toFixed(2)
    rows.push([`added to an access group -> first login works (median of ${changeRuns}, s)`, m('toLogin'), base, `one sync ${m('addSync')} s + first (cold) login ${m('firstLogin')} s; the timer waits 0-65 s before its sync`])
    rows.push(['out of every access group -> login refused (s)', m('toRefused'), base, `one sync ${m('removeSync')} s, then refused; the same wait for the timer`])
  })
}

const countReads = (people: IamPeople): { all: number, by: string } => {
  const by = new Map<string, number>()
  for (const c of people.front.calls) by.set(c.action, (by.get(c.action) ?? 0) + 1)
  return { all: people.front.calls.length, by: [...by].map(([a, n]) => `${n} ${a}`).join(', ') }
}

// One `bastion users sync` for N people with one key each: the first run (every account
// made), then converged runs, beside the same IAM reads issued raw from this process.
async function syncRun (): Promise<void> {
  await withPeople('3', async (people) => {
    console.error(`bench: sync: ${syncPeople} people in IAM ...`)
    for (let i = 1; i <= syncPeople; i++) {
      await people.person(`${PREFIX}p${String(i).padStart(3, '0')}`, i % 5 === 0 ? [GROUP, 'k8s-poweruser@hyades'] : [GROUP])
    }
    people.front.calls.length = 0
    const first = await people.sync()
    const firstReads = countReads(people)
    const made = first.stdout.split('\n').filter((l) => l.startsWith('created account ')).length
    const converged: number[] = []
    const raw: number[] = []
    const start: number[] = []
    let reads = { all: 0, by: '' }
    for (let i = 0; i < 3; i++) {
      people.front.calls.length = 0
      converged.push((await people.sync()).ms)
      reads = countReads(people)
      const t0 = performance.now()
      await rawReads(people)
      raw.push(performance.now() - t0)
      const t1 = performance.now()
      await execa(NODE, [BASTION, '--version'])
      start.push(performance.now() - t1)
    }
    rows.push([`users sync, first run: ${syncPeople} people, ${made} accounts made (s)`, (first.ms / 1000).toFixed(2), '-', `reads: ${firstReads.all} (${firstReads.by}); IAM writes: 0`])
    rows.push(['users sync, converged run (median of 3, s)', (median(converged) / 1000).toFixed(2), (median(raw) / 1000).toFixed(2), `${ratio(median(converged), median(raw))} the same reads issued raw; reads: ${reads.all} (${reads.by})`])
    rows.push(['  of which starting bastion: `bastion --version` (s)', (median(start) / 1000).toFixed(2), '-', 'Node and the CLI loading'])
  })
}

// The reads a sync makes, one call at a time as it does, without planning or writing.
async function rawReads (people: IamPeople): Promise<void> {
  const client = people.iam
  const names = new Set<string>()
  for await (const page of paginateListGroups({ client, pageSize: 100 }, { PathPrefix: '/k8s-access/' })) {
    for (const g of page.Groups ?? []) {
      const r = await client.send(new GetGroupCommand({ GroupName: g.GroupName, MaxItems: 100 }))
      for (const u of r.Users ?? []) names.add(u.UserName ?? '')
    }
  }
  for (const n of names) for await (const page of paginateListSSHPublicKeys({ client, pageSize: 100 }, { UserName: n })) void page
}

// Bench users like the test bed's: in bastion-users, our login shell, the bed's key.
function benchUsers (n: number, prefix = 'bt-bench'): string[] {
  const key = readFileSync(`${sshFacts().key}.pub`, 'utf8')
  const users = Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(n > 99 ? 3 : 2, '0')}`)
  return users.map((u) => {
    const exists = execaSync('id', [u], { reject: false }).exitCode === 0
    if (!exists) execaSync('useradd', ['-m', '-s', sshFacts().shellBin, '-G', 'bastion-users', u])
    else execaSync('usermod', ['-s', sshFacts().shellBin, u])
    const home = `/home/${u}`
    mkdirSync(`${home}/.ssh`, { recursive: true, mode: 0o700 })
    writeFileSync(`${home}/.ssh/authorized_keys`, key, { mode: 0o600 })
    const [uid, gid] = [Number(execaSync('id', ['-u', u]).stdout), Number(execaSync('id', ['-g', u]).stdout)]
    chownSync(`${home}/.ssh`, uid, gid)
    chownSync(`${home}/.ssh/authorized_keys`, uid, gid)
    chmodSync(`${home}/.ssh`, 0o700)
    return u
  })
}

async function concurrent (): Promise<void> {
  const users = benchUsers(25)
  for (const u of users) await removeContainersOf(u)
  const t0 = performance.now()
  const results = await Promise.all(users.flatMap((u) => [ssh(u, 'true', { timeoutMs: 120_000 }), ssh(u, 'true', { timeoutMs: 120_000 })]))
  const ms = performance.now() - t0
  const ok = results.filter((r) => r.exitCode === 0).length
  const counts = await Promise.all(users.map(async (u) => (await containersOf(u)).length))
  const exactlyOne = counts.filter((c) => c === 1).length
  rows.push(['50 concurrent cold logins by 25 users: succeeded', `${ok}/50`, '50/50', `in ${(ms / 1000).toFixed(1)} s`])
  rows.push(['  users with exactly one container', `${exactlyOne}/25`, '25/25', counts.some((c) => c > 1) ? 'DUPLICATES' : 'no duplicates'])
  for (const u of users) {
    await removeContainersOf(u)
    execaSync('userdel', ['-r', u], { reject: false })
    rmSync(join(HOME_ROOT, u), { recursive: true, force: true })
  }
}

// Memory that a process really holds: its proportional set size (shared pages split
// among the processes that map them), in MB.
function pssMb (pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]
    return Number(kb ?? 0) / 1024
  } catch { return 0 }
}

function processes (): Array<{ pid: number, ppid: number, cmdline: string, env: string }> {
  const out: Array<{ pid: number, ppid: number, cmdline: string, env: string }> = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      let env = ''
      let cmdline = ''
      try {
        env = readFileSync(`/proc/${name}/environ`, 'utf8')
        cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      } catch { /* gone, or a kernel thread */ }
      out.push({ pid: Number(name), ppid, cmdline, env })
    } catch { /* gone */ }
  }
  return out
}

// The broker of the test bed and its workers (they carry its run directory in their
// environment), and the processes under one sshd.
function brokerSide (): number[] {
  const runDir = `BASTION_SHELL_RUN_DIR=${sshFacts().runDir}`
  return processes().filter((p) => /(bastion-shell-broker|worker-main)\.js/.test(p.cmdline) && p.env.split('\0').includes(runDir)).map((p) => p.pid)
}
function under (root: number): number[] {
  const all = processes()
  const pids = new Set([root])
  for (let grew = true; grew;) {
    grew = false
    for (const p of all) if (!pids.has(p.pid) && pids.has(p.ppid)) { pids.add(p.pid); grew = true }
  }
  return [...pids]
}

// 100 users with 5 sessions each, all held open over an sshd of the bench's own with the
// shipped drop-in: two idle interactive shells, two `sleep`s, one TTY printing every
// second. Then, with all of them open: memory per live session on the broker's side
// and sshd's, warm-login latency against plain ssh to a bash user on the same sshd,
// and one session's bulk output against the same over plain ssh.
async function density (): Promise<void> {
  const nUsers = Number(process.env.BENCH_DENSITY_USERS ?? 100)
  const per = 5
  const td = teardowns()
  const users = benchUsers(nUsers, 'bt-dn')
  td.teardown(async () => {
    for (const u of users) {
      await removeContainersOf(u)
      execaSync('userdel', ['-r', u], { reject: false })
      rmSync(join(HOME_ROOT, u), { recursive: true, force: true })
    }
  })
  const held: Array<{ kill (signal: NodeJS.Signals): unknown }> = []
  td.teardown(() => { for (const h of held) h.kill('SIGKILL') })
  try {
    // The bed runs two sessions a worker for its tests; this measures what ships, the
    // defaults of shell.broker (its pool is set when the broker starts).
    td.teardown(async () => { await stopBroker(); await startBroker() })
    withShellConfig(td, { broker: { runDir: sshFacts().runDir } })
    await stopBroker()
    await startBroker()
    const sshd = await startSshd(td, ['bt-plain', ...users])
    const bedKey = readFileSync(`${sshFacts().key}.pub`, 'utf8')
    for (const u of ['bt-plain', ...users]) sshd.authorize(u, [bedKey])
    const key = [sshFacts().key]
    // Every container first, ten at a time (cold logins), so the sessions below are warm.
    for (let i = 0; i < users.length; i += 10) await Promise.all(users.slice(i, i + 10).map((u) => sshd.ssh(u, key, 'true')))
    const brokerBefore = brokerSide().reduce((a, p) => a + pssMb(p), 0)
    const kinds: Array<{ command: string, tty: boolean }> = [
      { command: '', tty: true }, { command: '', tty: true },
      { command: 'echo up; exec sleep 3600', tty: false }, { command: 'echo up; exec sleep 3600', tty: false },
      { command: 'echo up; while sleep 1; do date; done', tty: true }
    ]
    const open = (u: string, k: { command: string, tty: boolean }): Promise<boolean> => {
      const h = execa(SSH, sshd.sshArgs(u, key, k.command, k.tty ? ['-tt'] : ['-T']), { reject: false, stdin: 'pipe', buffer: false })
      held.push(h)
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 120_000)
        h.stdout?.on('data', () => { clearTimeout(timer); resolve(true) })
        void h.then(() => { clearTimeout(timer); resolve(false) })
      })
    }
    const t0 = performance.now()
    let ok = 0
    const jobs = users.flatMap((u) => kinds.map((k) => [u, k] as const))
    for (let i = 0; i < jobs.length; i += 25) ok += (await Promise.all(jobs.slice(i, i + 25).map(([u, k]) => open(u, k)))).filter(Boolean).length
    const openS = (performance.now() - t0) / 1000
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const broker = brokerSide()
    const brokerMb = broker.reduce((a, p) => a + pssMb(p), 0)
    const sshdMb = under(sshd.pid).filter((p) => p !== sshd.pid).reduce((a, p) => a + pssMb(p), 0)
    const sessions = nUsers * per
    rows.push([`${sessions} sessions held open by ${nUsers} users (opened in ${openS.toFixed(0)} s)`, `${ok}/${sessions}`, `${sessions}/${sessions}`, ok === sessions ? 'all succeeded' : 'FAILURES'])
    rows.push(['  broker-side memory per live session (PSS, MB)', (brokerMb / sessions).toFixed(2), '8', `broker and ${broker.length - 1} workers (shipped defaults): ${brokerMb.toFixed(0)} MB, ${brokerBefore.toFixed(0)} MB before; target <= 8 MB`])
    rows.push(['  sshd memory per live session (PSS, MB)', (sshdMb / sessions).toFixed(2), '-', `sshd's processes and the login shells: ${sshdMb.toFixed(0)} MB`])
    // Warm logins while all of that is open, interleaved with plain ssh.
    const timed = async (u: string): Promise<number> => {
      const s0 = performance.now()
      const r = await sshd.ssh(u, key, 'true')
      if (r.exitCode !== 0) throw new Error(`ssh ${u} true failed under load: ${r.stderr}`)
      return performance.now() - s0
    }
    const plain: number[] = []
    const warm: number[] = []
    for (let i = 0; i < runs; i++) {
      plain.push(await timed('bt-plain'))
      warm.push(await timed(users[i % users.length] as string))
    }
    const p = median(plain)
    const w = median(warm)
    rows.push(['  warm login under that load (ms)', w.toFixed(0), p.toFixed(0), `${ratio(w, p)} plain under the same load (target <= 1.5x)`])
    // One session's bulk output, against the same over plain ssh: lines of text, as
    // `kubectl logs` gives (the session is recorded, up to its cap, as every session is).
    const bulkMb = Number(process.env.BENCH_BULK_MB ?? 256)
    const bulk = async (u: string): Promise<number> => {
      const b0 = performance.now()
      let bytes = 0
      const h = execa(SSH, sshd.sshArgs(u, key, `yes '2026-12-03T12:00:00Z INFO a log line of an ordinary length, as services print them' | head -c ${bulkMb}M`, ['-T']), { reject: false, stdin: 'ignore', buffer: false })
      h.stdout?.on('data', (d: Buffer) => { bytes += d.length })
      await h
      if (bytes !== bulkMb * 1024 * 1024) throw new Error(`bulk output of ${u}: ${bytes} bytes`)
      return bytes / 1024 / 1024 / ((performance.now() - b0) / 1000)
    }
    const bp: number[] = []
    const bs: number[] = []
    for (let i = 0; i < 3; i++) { bp.push(await bulk('bt-plain')); bs.push(await bulk(users[0] as string)) }
    rows.push([`  bulk output of one session, ${bulkMb} MB (MB/s)`, median(bs).toFixed(0), median(bp).toFixed(0), `${ratio(median(bs), median(bp))} plain (target >= 0.7x)`])
  } finally {
    await td.run()
  }
}

const only = (process.env.BENCH_ONLY ?? 'logins,change,sync,concurrent,density').split(',')
if (only.includes('logins')) { console.error('bench: logins ...'); await logins() }
if (only.includes('change')) { console.error('bench: group changes ...'); await change() }
if (only.includes('sync')) { console.error('bench: users sync ...'); await syncRun() }
if (only.includes('concurrent')) { console.error('bench: concurrent ...'); await concurrent() }
if (only.includes('density')) { console.error('bench: density ...'); await density() }
printTable('bastion', rows)
