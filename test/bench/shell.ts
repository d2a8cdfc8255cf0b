// npm run bench:shell: what the shell adds to an ssh login, beside plain ssh to a bash
// user on the same sshd, measured in the same run; and 50 concurrent logins by 25 users,
// all from 127.0.0.1, through the throttling of the shipped sshd drop-in (the bed's sshd
// sets no limit of its own).
import { execaSync } from 'execa'
import { median, printTable, type Row } from '../fixtures/bench-table.ts'
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { ssh, sshFacts } from '../fixtures/ssh.ts'
import { containersOf, removeContainersOf } from '../fixtures/shell.ts'

const runs = Number(process.env.BENCH_RUNS ?? 15)
const rows: Row[] = []

async function timed (user: string): Promise<number> {
  const t0 = performance.now()
  const r = await ssh(user, 'true')
  if (r.exitCode !== 0) throw new Error(`ssh ${user} true failed: ${r.stderr}`)
  return performance.now() - t0
}


async function logins (): Promise<void> {
  await timed('bt-plain')
  await timed('bt-alice')
  const plain: number[] = []
  const warm: number[] = []
  const cold: number[] = []
  // Interleaved, so that machine noise falls on all three alike.
  for (let i = 0; i < runs; i++) {
    plain.push(await timed('bt-plain'))
    warm.push(await timed('bt-alice'))
    await removeContainersOf('bt-bob')
    cold.push(await timed('bt-bob'))
  }
  const p = median(plain)
  rows.push([`plain ssh true, bash user (median of ${runs}, ms)`, p.toFixed(0), '-', 'baseline'])
  rows.push(['warm login: ssh true, container exists (ms)', median(warm).toFixed(0), p.toFixed(0), `${(median(warm) / p).toFixed(2)}x plain (target <= 1.4x)`])
  rows.push(['cold login: ssh true, no container yet (ms)', median(cold).toFixed(0), p.toFixed(0), `${(median(cold) / p).toFixed(2)}x plain (target <= 2.5x)`])
}

// Bench users like the test bed's: in bastion-users, our login shell, the bed's key.
function benchUsers (n: number): string[] {
  const key = readFileSync(`${sshFacts().key}.pub`, 'utf8')
  const users = Array.from({ length: n }, (_, i) => `bt-bench${String(i + 1).padStart(2, '0')}`)
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
  for (const u of users) await removeContainersOf(u)
}


const only = (process.env.BENCH_ONLY ?? 'logins,concurrent').split(',')
if (only.includes('logins')) { console.error('bench: logins ...'); await logins() }
if (only.includes('concurrent')) { console.error('bench: concurrent ...'); await concurrent() }
printTable('bastion', rows)
