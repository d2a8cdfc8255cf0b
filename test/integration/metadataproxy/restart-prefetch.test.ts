// After a proxy restart the containers already running are found by the first resync,
// not by start events. They are prefetched like new ones, so each container's first
// request after the restart is a cache hit: it makes no AssumeRole call of its own.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox, type Box } from '../../fixtures/containers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const COUNT = 20

t.test(`after a restart with ${COUNT} containers running, each first request is a cache hit`, async (t) => {
  const proxy = await startProxy(t)
  const boxes: Box[] = []
  for (let i = 0; i < COUNT; i++) boxes.push(await runBox(t, proxy, { user: `rp${i}` }))
  await proxy.kill()
  await proxy.start()
  const assumed = async (): Promise<number> => {
    const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
    return Number(/^bastion_sts_assume_role_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0)
  }
  for (let i = 0; i < 120 && await assumed() < COUNT; i++) await sleep(250)
  t.equal(await assumed(), COUNT, 'one AssumeRole per running container, before any request')

  // The restarted proxy signs with a new key: tokens first (they never call STS).
  const tokens = await Promise.all(boxes.map((b) => b.token()))
  const answers = await Promise.all(boxes.map((b, i) => b.imds(`/latest/meta-data/iam/security-credentials/rp${i}`, { token: tokens[i] ?? '' })))
  t.same(answers.map((a) => a.status), Array(COUNT).fill(200))
  t.equal(await assumed(), COUNT, 'no first request needed an AssumeRole: all were cache hits')
})
