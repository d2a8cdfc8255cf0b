// The Docker adapter: events (one JSON line each) turned into what the container index
// follows, and the few calls it makes, against a dockerode stand-in.
import t from 'tap'
import { Readable } from 'node:stream'
import type { DockerApi } from '../../src/docker/engine.ts'
import { dockerSource, parseEvent } from '../../src/docker/source.ts'

const line = (o: unknown): string => JSON.stringify(o)

t.test('a container event gives the action, the container id and the time', async (t) => {
  t.same(parseEvent(line({ Type: 'container', Action: 'start', Actor: { ID: 'abc123', Attributes: { name: 'shell-alice' } }, timeNano: 1_700_000_000_000 })),
    { kind: 'container', action: 'start', containerId: 'abc123', timeNano: 1_700_000_000_000n })
  t.same(parseEvent(line({ Type: 'container', Action: 'die', Actor: { ID: 'abc123' }, timeNano: 5 })),
    { kind: 'container', action: 'die', containerId: 'abc123', timeNano: 5n })
})

t.test('a network connect or disconnect names the container and the network', async (t) => {
  t.same(parseEvent(line({ Type: 'network', Action: 'connect', Actor: { ID: 'net1', Attributes: { container: 'abc123', name: 'bastion', type: 'bridge' } }, timeNano: 7 })),
    { kind: 'network', action: 'connect', containerId: 'abc123', networkName: 'bastion', timeNano: 7n })
  t.same(parseEvent(line({ Type: 'network', Action: 'disconnect', Actor: { ID: 'net1', Attributes: { container: 'abc123', name: 'other' } }, timeNano: 8 })),
    { kind: 'network', action: 'disconnect', containerId: 'abc123', networkName: 'other', timeNano: 8n })
})

t.test('a network event without a network name has no networkName', async (t) => {
  const e = parseEvent(line({ Type: 'network', Action: 'connect', Actor: { ID: 'net1', Attributes: { container: 'abc123' } }, timeNano: 9 }))
  t.same(e, { kind: 'network', action: 'connect', containerId: 'abc123', timeNano: 9n })
  t.notOk(e !== undefined && 'networkName' in e)
})

t.test('events of other types, or without a container, are ignored', async (t) => {
  for (const o of [
    { Type: 'image', Action: 'pull', Actor: { ID: 'debian' }, timeNano: 1 },
    { Type: 'volume', Action: 'create', Actor: { ID: 'v1' }, timeNano: 1 },
    { Type: 'network', Action: 'create', Actor: { ID: 'net1', Attributes: { name: 'bastion' } }, timeNano: 1 },
    { Type: 'container', Action: 'start', timeNano: 1 },
    { Type: 'daemon', Action: 'reload', Actor: { ID: 'd' }, timeNano: 1 },
    {}
  ]) t.equal(parseEvent(line(o)), undefined, JSON.stringify(o))
})

t.test('an event without time or action gets 0 and an empty action', async (t) => {
  t.same(parseEvent(line({ Type: 'container', Actor: { ID: 'abc' } })), { kind: 'container', action: '', containerId: 'abc', timeNano: 0n })
})

// A dockerode stand-in: just the calls the adapter makes, recording their options.
function fakeDockerode (over: { chunks?: string[], inspect?: unknown, inspectError?: unknown, listError?: unknown } = {}) {
  const calls: Array<{ call: string, arg: unknown }> = []
  const docker = {
    listContainers: async (opts: unknown) => {
      calls.push({ call: 'listContainers', arg: opts })
      if (over.listError !== undefined) throw over.listError
      return [
        { Id: 'c1', NetworkSettings: { Networks: { bastion: { IPAddress: '10.250.0.2' } } } },
        { Id: 'c2', NetworkSettings: { Networks: { bastion: { IPAddress: '' } } } },
        { Id: 'c3', NetworkSettings: { Networks: {} } }
      ]
    },
    getContainer: (id: string) => ({
      inspect: async (opts: unknown) => {
        calls.push({ call: `inspect ${id}`, arg: opts })
        if (over.inspectError !== undefined) throw over.inspectError
        return over.inspect
      }
    }),
    getEvents: async (opts: unknown) => {
      calls.push({ call: 'getEvents', arg: opts })
      return Readable.from((over.chunks ?? []).map((c) => Buffer.from(c)))
    }
  }
  return { docker: docker as unknown as DockerApi, calls }
}

const signal = new AbortController().signal

t.test('listManaged asks for running containers with the label on the network, and reads their IPs', async (t) => {
  const { docker, calls } = fakeDockerode()
  const list = await dockerSource(docker).listManaged('bastion.user', 'bastion', signal)
  t.same(list, [{ id: 'c1', ip: '10.250.0.2' }, { id: 'c2', ip: undefined }, { id: 'c3', ip: undefined }])
  t.same(calls[0]?.arg, { filters: { label: ['bastion.user'], network: ['bastion'], status: ['running'] }, abortSignal: signal })
})

t.test('a failed listing is DOCKER_UNAVAILABLE', async (t) => {
  const { docker } = fakeDockerode({ listError: new Error('connect ENOENT') })
  await t.rejects(dockerSource(docker).listManaged('bastion.user', 'bastion', signal), { code: 'BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', message: /ENOENT/ })
})

t.test('inspect reads name, state, labels, environment and per-network IPs', async (t) => {
  const { docker } = fakeDockerode({
    inspect: {
      Id: 'c1',
      Name: '/shell-alice',
      State: { Running: true },
      Config: { Labels: { 'bastion.user': 'alice' }, Env: ['IAM_ROLE=dev', 'X=a=b', 'NOVALUE', '=bad'] },
      HostConfig: { Privileged: false, CapDrop: ['ALL'], CapAdd: null },
      NetworkSettings: { Networks: { bastion: { IPAddress: '10.250.0.2' }, none: { IPAddress: '' } } }
    }
  })
  t.same(await dockerSource(docker).inspect('c1', signal), {
    id: 'c1', name: 'shell-alice', running: true, labels: { 'bastion.user': 'alice' }, env: { IAM_ROLE: 'dev', X: 'a=b' }, ips: { bastion: '10.250.0.2' }
  })
})

t.test('inspect tolerates missing labels, environment and networks', async (t) => {
  const { docker } = fakeDockerode({ inspect: { Id: 'c1', Name: 'x', State: { Running: false }, Config: {}, NetworkSettings: {} } })
  t.same(await dockerSource(docker).inspect('c1', signal), { id: 'c1', name: 'x', running: false, labels: {}, env: {}, ips: {}, spoofing: 'its capabilities are unknown (no HostConfig in docker inspect)' })
})

t.test("inspect says why a container could spoof a neighbour's address: Docker's default NET_RAW, or privileged", async (t) => {
  const base = { Id: 'c1', Name: '/x', State: { Running: true }, Config: {}, NetworkSettings: {} }
  const spoofing = async (HostConfig: unknown): Promise<string | undefined> =>
    (await dockerSource(fakeDockerode({ inspect: { ...base, HostConfig } }).docker).inspect('c1', signal))?.spoofing
  t.match(await spoofing({ CapAdd: null, CapDrop: null }), /holds NET_RAW,/)
  t.match(await spoofing({ Privileged: true, CapDrop: ['ALL'] }), /privileged/)
  t.equal(await spoofing({ CapDrop: ['NET_RAW'] }), undefined)
})

t.test('inspect of a container that is gone is null; other failures are DOCKER_UNAVAILABLE', async (t) => {
  t.equal(await dockerSource(fakeDockerode({ inspectError: Object.assign(new Error('no such container'), { statusCode: 404 }) }).docker).inspect('c1', signal), null)
  await t.rejects(dockerSource(fakeDockerode({ inspectError: Object.assign(new Error('boom'), { statusCode: 500 }) }).docker).inspect('c1', signal),
    { code: 'BASTION_METADATAPROXY_DOCKER_UNAVAILABLE' })
})

t.test('openEvents asks for container and network events, from `since` when given, in seconds.nanoseconds', async (t) => {
  const { docker, calls } = fakeDockerode()
  const src = dockerSource(docker)
  await src.openEvents(undefined, signal)
  await src.openEvents(1_700_000_000_000_000_042n, signal)
  t.same(calls.map((c) => c.arg), [
    { filters: { type: ['container', 'network'] }, abortSignal: signal },
    { filters: { type: ['container', 'network'] }, abortSignal: signal, since: '1700000000.000000042' }
  ])
})

t.test('the events stream is split into lines across chunks, skipping blanks and ignored types', async (t) => {
  const a = line({ Type: 'container', Action: 'start', Actor: { ID: 'c1' }, timeNano: 1 })
  const b = line({ Type: 'image', Action: 'pull', Actor: { ID: 'debian' }, timeNano: 2 })
  const c = line({ Type: 'network', Action: 'connect', Actor: { ID: 'n', Attributes: { container: 'c2', name: 'bastion' } }, timeNano: 3 })
  const text = `${a}\n\n${b}\n${c}\n`
  const { docker } = fakeDockerode({ chunks: [text.slice(0, 10), text.slice(10, a.length + 3), text.slice(a.length + 3)] })
  const events = []
  for await (const e of await dockerSource(docker).openEvents(undefined, signal)) events.push(e)
  t.same(events, [
    { kind: 'container', action: 'start', containerId: 'c1', timeNano: 1n },
    { kind: 'network', action: 'connect', containerId: 'c2', networkName: 'bastion', timeNano: 3n }
  ])
})

t.test('timeNano keeps every nanosecond, beyond what a double holds', async (t) => {
  const e = parseEvent('{"Type":"container","Action":"start","Actor":{"ID":"abc"},"timeNano":1700000000123456789}')
  t.equal(e?.timeNano, 1700000000123456789n)
})
