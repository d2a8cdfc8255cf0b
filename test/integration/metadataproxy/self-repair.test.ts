/* eslint-disable @typescript-eslint/no-explicit-any -- the proxy's JSON log lines are read loosely */
// Self-repair on the real iptables: the running proxy finds drift in its rules (our jumps
// deleted, a rule put ahead of ours, our chains flushed, Docker's FORWARD jump gone as
// in a dockerd restart) and repairs it in the first check that starts after it, putting
// our rules back and moving nothing of anyone else's. The proxy's checks are numbered in
// its log, which is how "within one interval" is shown without timing anything.
//
// dockerd is restarted for real too (the bed runs it with live-restore, so every
// container outlives that), and what it does to the rules is also reproduced step by
// step: it deletes its FORWARD -j DOCKER-USER jump and inserts it again first.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { execa } from 'execa'
import { startProxy, type Proxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const CHECK_SECONDS = 1

async function ipt (...args: string[]): Promise<void> {
  const r = await execa('iptables', ['-w', '5', ...args], { reject: false })
  if (r.exitCode !== 0) throw new Error(`iptables ${args.join(' ')}: ${r.stderr}`)
}
const saved = async (table: string): Promise<string[]> => (await execa('iptables-save', ['-t', table])).stdout.split('\n')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Drift made at `since` (ms, this machine's clock) must be repaired by the check running
// at that moment or, at the latest, by the first one to start after it: within one
// interval. Checks never overlap, so once the next one has started that one is done.
// Returns what those checks found and did.
async function repairedWithinOneCheck (t: Test, proxy: Proxy, since: number): Promise<{ found: string[], did: string[] }> {
  const checks = () => proxy.logs.filter((l) => l.msg === 'iptables check')
  for (let i = 0; i < 600; i++) {
    const first = checks().find((l) => l.time > since)
    if (first !== undefined && checks().some((l) => l.check === first.check + 1)) {
      const running = checks().filter((l) => l.time <= since).at(-1)?.check ?? first.check
      const within = (l: Record<string, any>) => l.check >= running && l.check <= first.check
      t.notOk(proxy.logs.some((l) => l.check > first.check && l.msg === 'iptables rules repaired'), 'nothing left for a later check')
      return {
        found: proxy.logs.filter((l) => within(l) && l.msg === 'iptables drift found').flatMap((l) => l.found),
        did: proxy.logs.filter((l) => within(l) && l.msg === 'iptables rules repaired').flatMap((l) => l.did)
      }
    }
    await sleep(100)
  }
  t.fail('no check ran after the drift')
  return { found: [], did: [] }
}

// Rules of someone else's in the chains we share, which no repair may touch.
async function plantForeign (t: Test, proxy: Proxy): Promise<string[]> {
  const tag = `bt-foreign-${randomBytes(3).toString('hex')}`
  const spec = (chain: string, table: string) => ({ table, chain, args: ['-i', `${proxy.bridge}x`, '-m', 'comment', '--comment', tag, '-j', 'RETURN'] })
  const planted = [spec('PREROUTING', 'nat'), spec('DOCKER-USER', 'filter'), spec('INPUT', 'filter')]
  for (const p of planted) await ipt('-t', p.table, '-A', p.chain, ...p.args)
  t.teardown(async () => { for (const p of planted) await execa('iptables', ['-w', '5', '-t', p.table, '-D', p.chain, ...p.args], { reject: false }) })
  return [...await saved('nat'), ...await saved('filter')].filter((l) => l.includes(tag))
}

async function setup (t: Test) {
  const proxy = await startProxy(t, { iptables: { checkSeconds: CHECK_SECONDS } })
  const foreign = await plantForeign(t, proxy)
  const box = await runBox(t, proxy, { user: 'rae' })
  const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/rae', { token: await box.token() })).status, 200, 'served before the drift')
  const after = async (repairsExpected = 1) => {
    const lines = [...await saved('nat'), ...await saved('filter')]
    t.same(lines.filter((l) => foreign.some((f) => f === l)), foreign, 'someone else\'s rules are all still there')
    t.equal((await proxy.cli('iptables', 'check')).stdout.trim(), 'iptables: all rules in place')
    const health = await (await fetch(`${proxy.adminUrl}/healthz`)).json() as Record<string, unknown>
    t.match(health, { status: 'ok', iptablesOk: true })
    t.notOk('iptablesDrift' in health)
    t.equal((await box.imds('/latest/meta-data/iam/security-credentials/rae', { token: await box.token() })).status, 200, 'served after the repair')
    const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
    const repairs = proxy.logs.filter((l) => l.msg === 'iptables rules repaired').length
    t.ok(repairs >= repairsExpected)
    t.match(metrics, new RegExp(`^bastion_iptables_repairs_total ${repairs}$`, 'm'), 'each repair counted')
  }
  return { proxy, box, prefix, after }
}

t.test('our two jumps deleted, as by a firewall reload: both back in the next check', async (t) => {
  const { proxy, prefix, after } = await setup(t)
  const since = Date.now()
  await ipt('-t', 'nat', '-D', 'PREROUTING', '-i', proxy.bridge, '-j', prefix)
  await ipt('-t', 'filter', '-D', 'DOCKER-USER', '-i', proxy.bridge, '-j', `${prefix}-GUARD`)
  const { did } = await repairedWithinOneCheck(t, proxy, since)
  t.same(did, [
    `added nat PREROUTING: traffic from ${proxy.bridge} jumps to ${prefix}`,
    `added filter DOCKER-USER: traffic from ${proxy.bridge} jumps to ${prefix}-GUARD`
  ])
  await after()
})

t.test('an ACCEPT put ahead of our jumps: ours moved back first, theirs kept behind it', async (t) => {
  const { proxy, prefix, after } = await setup(t)
  const accept = ['-d', '169.254.169.254/32', '-i', proxy.bridge, '-j', 'ACCEPT'] // as iptables -S prints it
  const since = Date.now()
  await ipt('-t', 'nat', '-I', 'PREROUTING', '1', ...accept)
  await ipt('-t', 'filter', '-I', 'DOCKER-USER', '1', ...accept)
  t.teardown(async () => {
    await execa('iptables', ['-w', '5', '-t', 'nat', '-D', 'PREROUTING', ...accept], { reject: false })
    await execa('iptables', ['-w', '5', '-t', 'filter', '-D', 'DOCKER-USER', ...accept], { reject: false })
  })
  const { found, did } = await repairedWithinOneCheck(t, proxy, since)
  t.match(found, [
    `nat PREROUTING: traffic from ${proxy.bridge} jumps to ${prefix}, is bypassed by: -A PREROUTING ${accept.join(' ')}`,
    `filter DOCKER-USER: traffic from ${proxy.bridge} jumps to ${prefix}-GUARD, is bypassed by: -A DOCKER-USER ${accept.join(' ')}`
  ])
  t.same(did, [
    `moved back to position 1: nat PREROUTING: traffic from ${proxy.bridge} jumps to ${prefix}`,
    `moved back to position 1: filter DOCKER-USER: traffic from ${proxy.bridge} jumps to ${prefix}-GUARD`
  ])
  for (const [table, chain, jump] of [['nat', 'PREROUTING', prefix], ['filter', 'DOCKER-USER', `${prefix}-GUARD`]] as const) {
    const lines = (await saved(table)).filter((l) => l.startsWith(`-A ${chain} `))
    const ours = lines.indexOf(`-A ${chain} -i ${proxy.bridge} -j ${jump}`)
    const theirs = lines.indexOf(`-A ${chain} ${accept.join(' ')}`)
    t.ok(ours >= 0 && theirs > ours, `${chain}: ours at ${ours}, the ACCEPT still there at ${theirs}`)
  }
  await after()
})

t.test('our chains flushed, and a foreign ACCEPT put into one: refilled in order, the ACCEPT taken out', async (t) => {
  const { proxy, prefix, after } = await setup(t)
  const since = Date.now()
  await ipt('-t', 'nat', '-F', prefix)
  await ipt('-t', 'filter', '-F', `${prefix}-GUARD`)
  await ipt('-t', 'filter', '-F', `${prefix}-INPUT`)
  await ipt('-t', 'filter', '-A', `${prefix}-GUARD`, '-j', 'RETURN')
  const { did } = await repairedWithinOneCheck(t, proxy, since)
  t.same(did, [
    `removed from our chain filter ${prefix}-GUARD: -j RETURN`,
    `added nat ${prefix}: DNAT IMDS port 80 to the proxy at ${proxy.gateway}:${proxy.port}`,
    `added filter ${prefix}-GUARD: reject TCP to IMDS with a reset`,
    `added filter ${prefix}-GUARD: reject anything else to IMDS`,
    `added filter ${prefix}-INPUT: reject proxy connections not from ${proxy.bridge}`,
    `added filter ${prefix}-INPUT: drop a new connection from a container that holds ${proxy.config.metadataproxy.imds.maxConnectionsPerSource ?? 32} already`
  ])
  t.same((await saved('filter')).filter((l) => l.startsWith(`-A ${prefix}-GUARD `)), [
    `-A ${prefix}-GUARD -d 169.254.169.254/32 -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${prefix}-GUARD -d 169.254.169.254/32 -j REJECT --reject-with icmp-port-unreachable`
  ])
  await after()
})

t.test('dockerd restarting (its FORWARD jump deleted, then inserted first again): repaired, and no harm from the re-insert', async (t) => {
  const { proxy, after } = await setup(t)
  const jump = ['-j', 'DOCKER-USER']
  const count = async () => (await saved('filter')).filter((l) => l === '-A FORWARD -j DOCKER-USER').length
  const before = await count()
  // Put back whatever this test leaves out of place, whatever happens: every container here relies on it.
  t.teardown(async () => {
    while (await count() > before) await execa('iptables', ['-w', '5', '-D', 'FORWARD', ...jump], { reject: false })
    if (await count() === 0) await execa('iptables', ['-w', '5', '-I', 'FORWARD', '1', ...jump], { reject: false })
  })
  const since = Date.now()
  await ipt('-D', 'FORWARD', ...jump)
  const { did } = await repairedWithinOneCheck(t, proxy, since)
  // Every proxy on this shared bed repairs it, and Docker inserts its own FORWARD rules
  // for each network made meanwhile: ours may find it back already, or behind one of
  // those and move it (and ours behind it) back first. Whatever it did concerns only
  // that jump and our own rules.
  const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string
  t.ok(did.every((d) => d.endsWith('filter FORWARD: everything jumps to DOCKER-USER (Docker\'s rule)') || d.includes(prefix)), `ours put it back, or found it back: ${JSON.stringify(did)}`)
  t.equal((await saved('filter')).find((l) => l.startsWith('-A FORWARD ')), '-A FORWARD -j DOCKER-USER', 'first in FORWARD again within one check')
  // dockerd's second half, after ours: a second jump first; harmless, and nothing to repair.
  await ipt('-I', 'FORWARD', '1', ...jump)
  const quiet = Date.now()
  while (!proxy.logs.some((l) => l.msg === 'iptables check' && l.time > quiet + CHECK_SECONDS * 1000)) await sleep(100)
  t.notOk(proxy.logs.some((l) => l.msg === 'iptables drift found' && l.time > quiet), 'no drift from the duplicate')
  await execa('iptables', ['-w', '5', '-D', 'FORWARD', ...jump])
  await after(did.length > 0 ? 1 : 0)
})

t.test('dockerd restarted for real: our rules are all in place within one check of its answering again, nobody else\'s touched, and containers old and new are served', async (t) => {
  const { proxy, box, after } = await setup(t)
  const docker = async (...args: string[]) => (await execa('docker', args)).stdout.trim()
  t.equal(await docker('info', '--format', '{{.LiveRestoreEnabled}}'), 'true', 'the bed\'s dockerd has live-restore: the containers outlive the restart')
  const started = await docker('inspect', '--format', '{{.State.StartedAt}}', box.name)
  const dockerRules = async () => [...await saved('nat'), ...await saved('filter')].filter((l) => /^-A \S+ .*-j DOCKER/.test(l) || l.startsWith('-A DOCKER'))
  const before = await dockerRules()
  await execa(resolve(import.meta.dirname, '../../bed/restart-dockerd.sh'), { timeout: 120_000 })
  const answered = Date.now()
  t.equal(await docker('inspect', '--format', '{{.State.StartedAt}}', box.name), started, 'the container kept running through the restart')
  // Whatever dockerd did to the chains while it started, before it answered, one check repairs.
  const { found, did } = await repairedWithinOneCheck(t, proxy, answered)
  t.comment(`found after the restart: ${JSON.stringify(found)}; did: ${JSON.stringify(did)}`)
  t.same((await dockerRules()).filter((l) => !before.includes(l)), [], 'dockerd\'s own rules are its own again, none added by us')
  await after(0)
  // The proxy follows the new dockerd: a container started after the restart is served.
  const fresh = await runBox(t, proxy, { user: 'sid' })
  t.equal((await fresh.imds('/latest/meta-data/iam/security-credentials/sid', { token: await fresh.token() })).status, 200, 'a container started after the restart is served')
})
