// Regression: one container holding 28,000 idle connections to the IMDS address ran the
// proxy out of file descriptors, so no other container got a token and /healthz went
// silent, and the proxy grew to hundreds of MB. Now each source is capped at accept, a
// silent or slow connection is cut after a few seconds, and the unit's limits leave room.
// The proxy runs with its unit's LimitNOFILE; the flood comes from a container on the
// proxy's network, through the DNAT, bounded in count and time (fixtures/imds-flood.mjs).
import t from 'tap'
import { readFileSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { testbed } from '../../fixtures/testbed.ts'

const DOCKER = '/usr/bin/docker'
const ROOT = resolve(import.meta.dirname, '../../..')
// The bound docs/metadataproxy/README.md states for the proxy's resident memory.
const RSS_BOUND_MB = 512

const unit = readFileSync(resolve(ROOT, 'packages/metadataproxy/systemd/bastion-metadataproxy.service'), 'utf8')
const setting = (key: string): string => {
  const v = new RegExp(`^${key}=(\\S+)$`, 'm').exec(unit)?.[1]
  if (v === undefined) throw new Error(`the unit sets no ${key}`)
  return v
}
const NOFILE = Number(setting('LimitNOFILE'))
const MEMORY_MAX_MB = Number(/^(\d+)M$/.exec(setting('MemoryMax'))?.[1])
const TASKS_MAX = Number(setting('TasksMax'))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const status = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(s)?.[1])
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, threads: Number(/^Threads:\s+(\d+)$/m.exec(s)?.[1]) }
}

t.test('a container flooding the proxy with 28,000 connections, silent and byte by byte, starves no one', async (t) => {
  t.ok(NOFILE > 0 && MEMORY_MAX_MB > 0 && TASKS_MAX > 0, `the unit sets LimitNOFILE=${NOFILE}, MemoryMax=${MEMORY_MAX_MB}M, TasksMax=${TASKS_MAX}`)
  const proxy = await startProxy(t, { logLevel: 'info' })
  const pid = proxy.pid() as number
  await execa('prlimit', ['--pid', String(pid), `--nofile=${NOFILE}:${NOFILE}`])
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
    const line = text.split('\n').find((l) => l.startsWith(`${name} `))
    return Number(line?.slice(name.length + 1) ?? NaN)
  }
  const victim = await runBox(t, proxy, { user: 'pocahontas' })
  const served = async (): Promise<number> => (await victim.imds('/latest/meta-data/iam/security-credentials/pocahontas', { token: await victim.token() })).status
  t.equal(await served(), 200, 'served before the flood')

  const name = `bt-flood-${randomBytes(4).toString('hex')}`
  await execa(DOCKER, ['run', '-d', '--name', name, '--network', proxy.network, '--label', 'bastion.user=johnsmith', '-e', 'IAM_ROLE=johnsmith',
    '-v', `${realpathSync(process.execPath)}:/usr/local/bin/node:ro`, '-v', `${resolve(ROOT, 'test/fixtures/imds-flood.mjs')}:/flood.mjs:ro`,
    testbed().clientImage, 'sleep', 'infinity'])
  t.teardown(() => execa(DOCKER, ['rm', '-f', name], { reject: false }))

  // Two processes of 14,000 each, as a container's own file limit (20,000 here) is below 28,000.
  const last: Array<Record<string, unknown>> = [{}, {}]
  const floods = last.map((_s, n) => {
    const p = execa(DOCKER, ['exec', name, 'node', '/flood.mjs', '14000', '35', '1000'], { reject: false, timeout: 90_000 })
    p.stdout?.on('data', (d: Buffer) => {
      for (const line of String(d).trim().split('\n')) { try { last[n] = JSON.parse(line) as Record<string, unknown> } catch { /* partial */ } }
    })
    return p
  })
  const attempts = () => last.reduce((sum, s) => sum + Number(s.attempts ?? 0), 0)
  for (let i = 0; i < 120 && attempts() < 28_000; i++) await sleep(500)
  const progress = JSON.stringify(last)
  t.ok(attempts() >= 28_000, `the flood opened 28,000 connections: ${progress}`)

  const during: Array<{ creds: number, health: number, open: number }> = []
  let peak = status(pid)
  for (let round = 0; round < 4; round++) {
    const creds = await served()
    const health = (await fetch(`${proxy.adminUrl}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => ({ status: 0 }))).status
    const open = await metric('bastion_imds_connections')
    during.push({ creds, health, open })
    const now = status(pid)
    if (now.peakMb > peak.peakMb || now.threads > peak.threads) peak = { ...now, threads: Math.max(now.threads, peak.threads) }
    await sleep(1000)
  }
  t.same(during.map((d) => d.creds), [200, 200, 200, 200], 'another container gets its credentials throughout the flood')
  t.same(during.map((d) => d.health), [200, 200, 200, 200], '/healthz answers throughout')
  const cap = proxy.config.metadataproxy.imds.maxConnectionsPerSource ?? 32
  t.ok(during.every((d) => d.open <= cap + 2), `the proxy never holds more than the flooder's cap and the victim's: ${during.map((d) => d.open).join(', ')} open (cap ${cap})`)

  await Promise.all(floods)
  t.same(last.map((s) => s.done), [true, true], 'the flood ended by itself')
  const after = status(pid)
  t.ok(after.peakMb <= RSS_BOUND_MB, `peak resident memory ${after.peakMb.toFixed(0)} MB is within the documented ${RSS_BOUND_MB} MB`)
  t.ok(after.peakMb * 2 <= MEMORY_MAX_MB, `MemoryMax=${MEMORY_MAX_MB}M leaves twice the measured peak (${after.peakMb.toFixed(0)} MB)`)
  t.ok(peak.threads * 2 <= TASKS_MAX, `TasksMax=${TASKS_MAX} leaves twice the measured ${peak.threads} threads`)
  t.equal(await served(), 200, 'and served after the flood')
  for (let i = 0; i < 40 && await metric('bastion_imds_connections') > 1; i++) await sleep(500)
  t.ok(await metric('bastion_imds_connections') <= 1, 'every flood connection is gone')
})

// The per-source cap twice: the kernel's connlimit in the proxy's INPUT chain drops the
// SYNs of a container that holds its share already, so that a flood costs the proxy
// almost nothing, and the proxy's cap at accept stays the exact one.
t.test('past the per-source cap the kernel drops a container\'s new connections, and the proxy holds no more than the cap', async (t) => {
  const proxy = await startProxy(t, { logLevel: 'info' })
  const cap = Number(proxy.config.metadataproxy.imds.maxConnectionsPerSource ?? 32)
  const chain = `${String(proxy.config.metadataproxy.iptables.chainPrefix)}-INPUT`
  // The packets the connlimit rule dropped (iptables -L shows it as "#conn src/32 > N").
  const drops = async (): Promise<number> => {
    const rows = (await execa('iptables', ['-w', '-t', 'filter', '-L', chain, '-v', '-x', '-n'])).stdout.split('\n')
    const row = rows.find((r) => r.includes(`#conn src/32 > ${cap}`))
    if (row === undefined) throw new Error(`no connlimit rule in ${chain}:\n${rows.join('\n')}`)
    return Number(row.trim().split(/\s+/)[0])
  }
  const name = `bt-cap-${randomBytes(4).toString('hex')}`
  await execa(DOCKER, ['run', '-d', '--name', name, '--network', proxy.network, '--label', 'bastion.user=johnsmith', '-e', 'IAM_ROLE=johnsmith',
    '-v', `${realpathSync(process.execPath)}:/usr/local/bin/node:ro`, testbed().clientImage, 'sleep', 'infinity'])
  t.teardown(() => execa(DOCKER, ['rm', '-f', name], { reject: false }))
  const before = await drops()
  // cap connections one at a time, held; then 8 more at once, and one that has not
  // connected within 1.5 s counts as dropped. All of it within 3 s: the proxy cuts a
  // silent connection only after headersTimeoutMs (5 s).
  const script = `const net = require('node:net'); const cap = ${cap}; const out = { open: 0, dropped: 0, closed: 0, other: 0 }; const held = [];
    const one = () => new Promise((resolve) => { const s = net.connect({ host: '169.254.169.254', port: 80, timeout: 1500 });
      s.once('connect', () => { s.setTimeout(0); held.push(s); resolve() });
      s.once('timeout', () => { out.dropped++; s.destroy(); resolve() });
      s.once('error', () => { out.other++; resolve() }) });
    (async () => { for (let i = 0; i < cap; i++) await one(); await Promise.all(Array.from({ length: 8 }, one)); await new Promise((r) => setTimeout(r, 300));
      out.open = held.filter((s) => !s.destroyed).length; out.closed = held.length - out.open; console.log(JSON.stringify(out)); for (const s of held) s.destroy() })()`
  const r = await execa(DOCKER, ['exec', name, 'node', '-e', script], { timeout: 60_000 })
  const got = JSON.parse(r.stdout) as { open: number, dropped: number, closed: number, other: number }
  t.equal(got.open, cap, `the container holds exactly its ${cap}: ${JSON.stringify(got)}`)
  t.ok(got.dropped >= 1 && await drops() - before >= got.dropped, `the kernel dropped SYNs past the cap (${got.dropped} connections never came up; ${await drops() - before} SYNs dropped)`)
  t.equal(got.dropped + got.closed + got.open, cap + 8, 'and each of the rest was dropped by the kernel or closed by the proxy at accept')
  t.equal(got.other, 0)
})
