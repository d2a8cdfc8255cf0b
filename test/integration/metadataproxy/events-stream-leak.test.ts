// Regression: when the resync after reopening the events stream failed, the new events
// response was left open, one more Docker connection for every failed attempt. The proxy
// talks to the real Docker through a forwarder that counts what its client keeps open.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { startDockerDelay } from '../../fixtures/docker-delay.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('a failed resync closes the events response it opened', async (t) => {
  const delay = await startDockerDelay()
  t.teardown(() => delay.close())
  const proxy = await startProxy(t, { docker: { socketPath: delay.socketPath } })
  t.equal(delay.openEventStreams(), 1, 'one stream followed after start')

  // Listings fail while the stream is broken: every reopen is followed by a failed resync.
  delay.failLists = true
  t.teardown(() => { delay.failLists = false })
  delay.breakEvents()
  const failed = () => proxy.logs.filter((l) => l.msg === 'docker events stream failed').length
  for (let i = 0; i < 100 && failed() < 4; i++) await sleep(100)
  t.ok(failed() >= 4, `the reopen was followed by a failed resync at least 3 times (${failed()} failures logged)`)
  // Stream N+1 may be open for the moment between its opening and its failed resync.
  t.ok(delay.openEventStreams() <= 1, `at most one events response open (${delay.openEventStreams()})`)

  delay.failLists = false
  let health: Record<string, unknown> = {}
  for (let i = 0; i < 100 && health.indexReady !== true; i++) {
    await sleep(200)
    health = await (await fetch(`${proxy.adminUrl}/healthz`)).json() as Record<string, unknown>
  }
  t.equal(health.indexReady, true, 'the index recovers once listings work')
  t.equal(delay.openEventStreams(), 1, 'and exactly one events response is open: the followed one')
  t.ok(delay.openConnections() <= 2, `no other Docker connection piles up (${delay.openConnections()} open)`)
})
