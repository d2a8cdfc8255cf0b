// npm run bench:metadataproxy: the proxy's speed and memory on the real path
// (container -> iptables DNAT -> proxy -> moto STS), each figure beside a baseline
// measured in the same run. Prints a table; never a pass/fail test.
import { spawn } from 'node:child_process'
import { median, printTable, type Row } from '../fixtures/bench-table.ts'
import { readFileSync, realpathSync } from 'node:fs'
import { execa } from 'execa'
import { Value } from '@sinclair/typebox/value'
import { ShellConfigSchema } from '@bastion/shell'
import { startProxy, NODE, type Proxy } from '../fixtures/proxy.ts'
import { runBox, type Box } from '../fixtures/containers.ts'
import { startStsFront, type StsFront } from '../fixtures/sts-front.ts'
import { testbed } from '../fixtures/testbed.ts'

const DOCKER = '/usr/bin/docker'
const teardowns: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }
const rows: Row[] = []
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const manyContainers = Number(process.env.BENCH_CONTAINERS ?? 200)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
// The proxy needs about ten seconds of load before V8 has optimised its hot path.
const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 12)
// The well-behaved neighbour's fixed rate in the flood run, requests a second.
const pacedRate = Number(process.env.BENCH_PACED_RATE ?? 200)
// Rounds of the flood run (unloaded, flooded, beside a busy neighbour), the median counts.
const floodRounds = Number(process.env.BENCH_FLOOD_ROUNDS ?? 5)

interface WrkResult { p50: number, p99: number, rps: number }

async function wrk (box: Box, url: string, token: string, duration = seconds): Promise<WrkResult> {
  const r = await box.exec(['wrk', '-t1', '-c8', `-d${duration}s`, '--latency', '-H', `X-aws-ec2-metadata-token: ${token}`, url])
  if (r.exitCode !== 0) throw new Error(`wrk failed: ${r.stderr}`)
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(r.stdout)
    if (m === null) throw new Error(`no ${label}% in wrk output:\n${r.stdout}`)
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2] ?? 'ms']!
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)
  if (non2xx !== null) throw new Error(`${non2xx[1]} error responses during the run`)
  return { p50: ms('50'), p99: ms('99'), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]) }
}

// Rounds alternate between the proxy and the trivial handler on the same gateway port,
// so both see the same DNAT path and the same machine noise; the median round counts.
async function throughput (front: StsFront): Promise<void> {
  const proxy = await startProxy(t, { stsEndpoint: front.url, logLevel: 'info' })
  const box = await runBox(t, proxy, { user: 'benchuser' })
  // wrk needs the port: the minimal image has no /etc/services.
  const url = 'http://169.254.169.254:80/latest/meta-data/iam/security-credentials/benchuser'
  const ours: WrkResult[] = []
  const base: WrkResult[] = []
  // Server on CPU 0, load generator on CPU 1: on two cores this keeps the two from
  // trading places mid-run, which otherwise swamps the difference being measured.
  await execa(DOCKER, ['update', '--cpuset-cpus', '1', box.id])
  const pin = (pid: number | undefined) => execa('taskset', ['-a', '-p', '-c', '0', String(pid)])
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await proxy.start()
    await pin(proxy.pid())
    const token = await box.token(21600)
    await wrk(box, url, token, warmup)
    ours.push(await wrk(box, url, token))
    await proxy.kill('SIGTERM')
    const trivial = spawn(NODE, [new URL('./trivial-server.ts', import.meta.url).pathname, proxy.gateway, String(proxy.port)], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => trivial.stdout.once('data', () => resolve()))
    await pin(trivial.pid)
    await wrk(box, url, token, warmup)
    base.push(await wrk(box, url, token))
    await new Promise<void>((resolve) => { trivial.once('exit', () => resolve()); trivial.kill('SIGTERM') })
  }
  const o = { rps: median(ours.map((r) => r.rps)), p50: median(ours.map((r) => r.p50)), p99: median(ours.map((r) => r.p99)) }
  const b = { rps: median(base.map((r) => r.rps)), p50: median(base.map((r) => r.p50)), p99: median(base.map((r) => r.p99)) }
  // Ratios are taken round by round (each pair ran back to back), then the median.
  const ratio = (f: (r: WrkResult) => number) => median(ours.map((r, i) => f(r) / f(base[i]!)))
  const each = ours.map((r, i) => fmt(r.rps / base[i]!.rps, 2)).join(', ')
  rows.push([`cached credential GET via DNAT: requests/s (median of ${rounds})`, fmt(o.rps, 0), fmt(b.rps, 0), `${fmt(ratio((r) => r.rps), 2)}x (target >= 0.8x; rounds: ${each})`])
  rows.push(['  p50 latency (ms)', fmt(o.p50, 2), fmt(b.p50, 2), `${fmt(ratio((r) => r.p50), 2)}x`])
  rows.push(['  p99 latency (ms)', fmt(o.p99, 2), fmt(b.p99, 2), `${fmt(ratio((r) => r.p99), 2)}x (target <= 1.5x)`])
}


async function burst (boxes: Box[], role: string, perBox: number): Promise<string[]> {
  const results = await Promise.all(boxes.map(async (box) => {
    const token = await box.token()
    const script = `for i in $(seq ${perBox}); do curl -s -o /dev/null -w '%{http_code}\\n' -H 'X-aws-ec2-metadata-token: ${token}' http://169.254.169.254/latest/meta-data/iam/security-credentials/${role} & done; wait`
    return (await box.exec(['sh', '-c', script])).stdout.trim().split('\n')
  }))
  return results.flat()
}

async function singleFlight (front: StsFront): Promise<void> {
  // Short-lived credentials so that a refresh comes within seconds: STS grants 900 s,
  // the proxy refreshes at 885 s left, that is 15 s after the first fetch.
  const proxy = await startProxy(t, { stsEndpoint: front.url, credentials: { durationSeconds: 900, refreshBeforeSeconds: 885, minRemainingSeconds: 880 } })
  front.latencyMs = 300
  const started = Date.now()
  const boxes = await Promise.all(Array.from({ length: 20 }, () => runBox(t, proxy, { user: 'shared', role: 'shared-role' })))
  await sleep(1000)
  const cold = front.callsBySession.get('shared') ?? 0
  const statuses = await burst(boxes, 'shared-role', 10)
  const afterCold = front.callsBySession.get('shared') ?? 0
  // Fire the second burst across the refresh point.
  await sleep(Math.max(0, started + 14_000 - Date.now()))
  const atRefresh = await burst(boxes, 'shared-role', 10)
  await sleep(Math.max(0, started + 17_000 - Date.now()))
  const afterRefresh = front.callsBySession.get('shared') ?? 0
  front.latencyMs = 0
  const ok = [...statuses, ...atRefresh].filter((s) => s === '200').length
  rows.push(['AssumeRole calls, 20 containers x 10 requests, one (role, session), cold', String(afterCold), '1', `${cold} made by the prefetch before any request; ${ok}/400 answered 200`])
  rows.push(['AssumeRole calls across the background refresh, 200 more requests', String(afterRefresh - afterCold), '1', 'target: exactly 1 per (role, session) per refresh'])
}

async function firstRequest (front: StsFront): Promise<void> {
  front.latencyMs = 300
  const proxy = await startProxy(t, { stsEndpoint: front.url })
  const measure = async (user: string, delay: string): Promise<number> => {
    const script = `sleep ${delay}; T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token); curl -s -o /dev/null -w '%{time_total}' -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/iam/security-credentials/${user}`
    const r = await execa(DOCKER, ['run', '--rm', '--cap-drop', 'NET_RAW', '--network', proxy.network, '--label', `bastion.user=${user}`, '-e', `IAM_ROLE=${user}`, testbed().clientImage, 'sh', '-c', script])
    return Number(r.stdout) * 1000
  }
  const immediate = await measure('first-a', '0')
  const after = await measure('first-b', '0.5')
  front.latencyMs = 0
  rows.push(['first credential GET, 0.5 s after container start (ms)', fmt(after, 1), '300 (STS latency)', `${fmt(after / 300, 2)}x of STS (target < 100 ms)`])
  rows.push(['first credential GET, at container start (ms)', fmt(immediate, 1), '300 (STS latency)', 'joins the prefetch already in flight'])
}

async function memory (front: StsFront): Promise<void> {
  const proxy = await startProxy(t, { stsEndpoint: front.url, docker: { resyncSeconds: 3600 } })
  const idle = rss(proxy)
  const names: string[] = []
  for (let i = 0; i < manyContainers; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, manyContainers - i) }, async (_, j) => {
      const name = `bt-mem-${proxy.network}-${i + j}`
      names.push(name)
      await execa(DOCKER, ['run', '-d', '--name', name, '--cap-drop', 'NET_RAW', '--network', proxy.network, '--label', `bastion.user=memuser${i + j}`, '-e', `IAM_ROLE=memuser${i + j}`, testbed().baseImage, 'sleep', 'infinity'])
    }))
  }
  for (let i = 0; i < 120 && front.callsBySession.size < manyContainers + 3; i++) await sleep(500)
  await sleep(2000)
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
  const indexed = /^bastion_index_containers (\d+)$/m.exec(metrics)?.[1]
  const cached = /^bastion_credential_cache_entries (\d+)$/m.exec(metrics)?.[1]
  const full = rss(proxy)
  const heap = Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(metrics)?.[1]) / 1048576
  rows.push([`proxy RSS with ${indexed} managed containers, ${cached} cached credentials (MB)`, fmt(full, 1), `${fmt(idle, 1)} (idle)`, `${fmt(full / idle, 2)}x idle; V8 heap in use ${fmt(heap, 1)} MB (target < 150 MB)`])
  await execa(DOCKER, ['rm', '-f', ...names], { reject: false })
}

// A well-behaved neighbour's latencies at a fixed rate (fixtures/imds-paced.mjs): an
// open loop, so they show how long it waits, not how much of the machine it gets.
async function paced (box: Box, url: string, token: string): Promise<{ p50: number, p99: number }> {
  const r = await box.exec(['node', '/paced.mjs', url, token, String(pacedRate), String(seconds)])
  const out = JSON.parse(r.stdout) as { count: number, errors: number, p50: number, p99: number }
  if (r.exitCode !== 0 || out.errors > 0) throw new Error(`paced run: ${out.errors} errors, exit ${r.exitCode}: ${r.stderr}`)
  return out
}

// Another container's p99 while one container floods the proxy with 28,000 connections
// (fixtures/imds-flood.mjs, two processes of 14,000), beside the same measures unloaded
// and beside a neighbour that only burns its CPU. Two measures each time: requests at a
// fixed rate (the target's: what a client of the proxy waits), and wrk's closed loop at
// saturation, whose latency on two cores follows the CPU left to it (shown, not judged).
// BENCH_FLOOD_ROUNDS rounds, each unloaded, flooded, then beside the burner, so each
// ratio is of measures a minute apart; the median round counts, as in throughput, and
// every round's ratio is printed.
async function flood (front: StsFront): Promise<void> {
  const proxy = await startProxy(t, { stsEndpoint: front.url, logLevel: 'info' })
  const node = `${realpathSync(process.execPath)}:/usr/local/bin/node:ro`
  const box = await runBox(t, proxy, { user: 'benchvictim', volumes: [node, `${new URL('../fixtures/imds-paced.mjs', import.meta.url).pathname}:/paced.mjs:ro`] })
  const url = 'http://169.254.169.254:80/latest/meta-data/iam/security-credentials/benchvictim'
  const token = await box.token(21600)
  await wrk(box, url, token, warmup)
  // The flooder is a user's container as the login shell makes it: the shipped
  // shell.limits (CPU, tasks, memory), which no user of a bastion can leave.
  const limits = Value.Default(ShellConfigSchema.properties.shell.properties.limits, {}) as { cpus: number, pids: number, memoryMb: number }
  const shipped = ['--cpus', String(limits.cpus), '--pids-limit', String(limits.pids), '--memory', `${limits.memoryMb}m`, '--memory-swap', `${limits.memoryMb}m`]
  const measure = async () => ({ paced: await paced(box, url, token), wrk: await wrk(box, url, token) })
  const round = async (n: number) => {
    const quiet = await measure()
    const name = `bt-flood-${proxy.network}-${n}`
    await execa(DOCKER, ['run', '-d', '--name', name, '--network', proxy.network, '--label', 'bastion.user=benchflood', '-e', 'IAM_ROLE=benchflood', ...shipped,
      '-v', node, '-v', `${new URL('../fixtures/imds-flood.mjs', import.meta.url).pathname}:/flood.mjs:ro`,
      testbed().clientImage, 'sleep', 'infinity'])
    teardowns.push(() => execa(DOCKER, ['rm', '-f', name], { reject: false }))
    const attempts = [0, 0]
    const floods = attempts.map((_a, i) => {
      const p = execa(DOCKER, ['exec', name, 'node', '/flood.mjs', '14000', String(2 * seconds + 40), '1000'], { reject: false })
      p.stdout?.on('data', (d: Buffer) => {
        for (const line of String(d).trim().split('\n')) { try { attempts[i] = Number((JSON.parse(line) as { attempts: number }).attempts) } catch { /* partial */ } }
      })
      return p
    })
    for (let i = 0; i < 120 && attempts[0]! + attempts[1]! < 28_000; i++) await sleep(500)
    const loaded = await measure()
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proxy.pid()}/status`, 'utf8'))?.[1]) / 1024
    await Promise.all(floods)
    await execa(DOCKER, ['rm', '-f', name], { reject: false })
    // The control: a neighbour with the same limits that only burns its CPU, two busy
    // processes as the flood's two, and sends nothing: what any busy container costs
    // the others on this machine, with the proxy not involved.
    const burner = `bt-burn-${proxy.network}-${n}`
    const spin = `const end = Date.now() + ${(2 * seconds + 30) * 1000}; while (Date.now() < end) {}`
    await execa(DOCKER, ['run', '-d', '--name', burner, '--network', 'none', ...shipped, '-v', node, testbed().clientImage,
      'sh', '-c', `node -e '${spin}' & node -e '${spin}'; wait`])
    teardowns.push(() => execa(DOCKER, ['rm', '-f', burner], { reject: false }))
    await sleep(2000)
    const busy = await measure()
    await execa(DOCKER, ['rm', '-f', burner], { reject: false })
    return { quiet, loaded, busy, attempts: attempts[0]! + attempts[1]!, peak }
  }
  type Result = Awaited<ReturnType<typeof round>>
  const results: Result[] = []
  for (let n = 0; n < floodRounds; n++) {
    console.error(`bench: flood round ${n + 1} of ${floodRounds} ...`)
    results.push(await round(n))
  }
  // The round whose ratio is the median, and every round's ratio, of one measure.
  const pick = (of: (r: Result) => number, base: (r: Result) => number) => {
    const ratios = results.map((r) => of(r) / base(r))
    const mid = results[ratios.indexOf(median(ratios))]!
    return { mid, all: ratios.map((x) => `${fmt(x, 2)}x`).join(', ') }
  }
  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`
  const rounds = `${floodRounds} round${floodRounds === 1 ? '' : 's'}`
  const f = pick((r) => r.loaded.paced.p99, (r) => r.quiet.paced.p99)
  rows.push([`another container's p99 (ms), ${pacedRate} requests/s, while one holds 28,000 connections at the caps`, fmt(f.mid.loaded.paced.p99, 2), `${fmt(f.mid.quiet.paced.p99, 2)} (unloaded)`,
    `${ratio(f.mid.loaded.paced.p99, f.mid.quiet.paced.p99)} (target <= 2x), the median of ${rounds}: ${f.all}; p50 ${fmt(f.mid.loaded.paced.p50, 2)} vs ${fmt(f.mid.quiet.paced.p50, 2)}; ${f.mid.attempts} connection attempts; peak RSS ${fmt(Math.max(...results.map((r) => r.peak)), 0)} MB`])
  const w = pick((r) => r.loaded.wrk.p99, (r) => r.quiet.wrk.p99)
  rows.push(["  the same flood, wrk's closed loop at saturation (8 connections): p99 (ms)", fmt(w.mid.loaded.wrk.p99, 2), `${fmt(w.mid.quiet.wrk.p99, 2)} (unloaded)`,
    `${ratio(w.mid.loaded.wrk.p99, w.mid.quiet.wrk.p99)}, the median of ${rounds}: ${w.all}; ${fmt(w.mid.loaded.wrk.rps, 0)} vs ${fmt(w.mid.quiet.wrk.rps, 0)} requests/s: the CPU left to it`])
  const c = pick((r) => r.busy.paced.p99, (r) => r.quiet.paced.p99)
  const cw = pick((r) => r.busy.wrk.p99, (r) => r.quiet.wrk.p99)
  rows.push([`  control: the same, ${pacedRate} requests/s, while a neighbour only burns its CPU limit`, fmt(c.mid.busy.paced.p99, 2), `${fmt(c.mid.quiet.paced.p99, 2)} (unloaded)`,
    `${ratio(c.mid.busy.paced.p99, c.mid.quiet.paced.p99)}, the median of ${rounds}: ${c.all}; wrk's closed loop ${ratio(cw.mid.busy.wrk.p99, cw.mid.quiet.wrk.p99)} (${cw.all})`])
}

// After a restart with 20 containers running, each one's first request is a cache hit.
async function restart (front: StsFront): Promise<void> {
  const proxy = await startProxy(t, { stsEndpoint: front.url, logLevel: 'info' })
  const boxes: Box[] = []
  for (let i = 0; i < 20; i++) boxes.push(await runBox(t, proxy, { user: `benchrestart${i}` }))
  await proxy.kill()
  front.latencyMs = 300
  const before = front.assumeRoleCalls
  await proxy.start()
  for (let i = 0; i < 60 && front.assumeRoleCalls - before < 20; i++) await sleep(250)
  const prefetched = front.assumeRoleCalls - before
  const tokens = await Promise.all(boxes.map((b) => b.token()))
  const answers = await Promise.all(boxes.map((b, i) => b.imds(`/latest/meta-data/iam/security-credentials/benchrestart${i}`, { token: tokens[i] ?? '' })))
  const made = front.assumeRoleCalls - before - prefetched
  front.latencyMs = 0
  const ok = answers.filter((a) => a.status === 200).length
  rows.push(['AssumeRole calls made by the first requests of 20 containers after a proxy restart', String(made), '0', `${prefetched} made by the prefetch of the first resync; ${ok}/20 answered 200 (target: every first request a cache hit)`])
}

function rss (proxy: Proxy): number {
  const pid = proxy.pid()
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

function fmt (n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}


// BENCH_ONLY=throughput,memory runs a subset.
const only = (process.env.BENCH_ONLY ?? 'throughput,single-flight,first-request,memory,flood,restart').split(',')
const front = await startStsFront(testbed().stsEndpoint)
try {
  for (const [name, fn] of [['throughput', throughput], ['single-flight', singleFlight], ['first-request', firstRequest], ['memory', memory], ['flood', flood], ['restart', restart]] as const) {
    if (!only.includes(name)) continue
    console.error(`bench: ${name} ...`)
    await fn(front)
  }
  printTable('proxy', rows)
} finally {
  for (const fn of teardowns.reverse()) await fn()
  await front.close()
}
