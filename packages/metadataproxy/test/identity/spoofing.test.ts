// A container that could send packets from a neighbour's address gets no credentials,
// and the log says why, naming it; its neighbours are served as before.
import t from 'tap'
import { ContainerIndex } from '../../src/identity/container-index.ts'
import { fakeClock } from '../fixtures/clock.ts'
import { container, fakeDocker } from '../fixtures/docker.ts'
import pino from 'pino'
import { captureLog } from '../fixtures/log.ts'

t.test("a container Docker reports as able to spoof is that container's problem, with the reason in the log", async (t) => {
  const docker = fakeDocker()
  const captured = captureLog()
  const log = pino({ level: 'debug' }, captured.destination)
  const index = new ContainerIndex({ source: docker, network: 'bastion', rolePrefix: '', clock: fakeClock().clock, resyncMs: 60_000, timeoutMs: 5000, log })
  t.teardown(() => { index.close() })
  const reason = "it holds NET_RAW, so it can send packets from a neighbour's address (drop it: --cap-drop ALL)"
  docker.containers.set('a'.repeat(64), container('a'.repeat(64), '10.250.0.2', { user: 'mallory', spoofing: reason }))
  docker.containers.set('b'.repeat(64), container('b'.repeat(64), '10.250.0.3', { user: 'alice' }))
  await index.start()
  t.equal(index.lookup('10.250.0.2')?.problem, reason)
  t.equal(index.lookup('10.250.0.3')?.problem, undefined, 'the neighbour is not affected')
  t.match(captured.records().filter((r) => r.level === 40), [{ level: 40, container: 'shell-mallory', user: 'mallory', problem: reason, msg: 'managed container gets no credentials' }])
})
