// ip-reuse: when a container stops and a new one gets its IP, the new one is answered as
// itself: never with the old container's role, and never with the old container's token,
// even while Docker is slow to answer inspects (kube2iam #46, lyft metadataproxy #19).
// The proxy talks to the real Docker through a forwarder that can hold inspects.
import t from 'tap'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'
import { startDockerDelay } from '../../fixtures/docker-delay.ts'

const delay = await startDockerDelay()
t.teardown(() => delay.close())
const proxy = await startProxy(t, { docker: { socketPath: delay.socketPath, timeoutMs: 60_000 } })
const ip = proxy.gateway.replace(/\.1$/, '.77')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test("with Docker's inspects held, a container started on a stopped one's address is never answered as the first", async (t) => {
  const old = await runBox(t, proxy, { user: 'olivia', ip })
  const oldToken = await old.token()
  t.equal((await old.imds('/latest/meta-data/iam/security-credentials/olivia', { token: oldToken })).status, 200)

  delay.hold()
  t.teardown(() => delay.release())
  // stop sends kill (whose inspect is now held) before die.
  await execa('/usr/bin/docker', ['stop', '-t', '0', old.id])
  for (let i = 0; i < 50 && await indexSize() !== 0; i++) await sleep(100)
  const next = await runBox(t, proxy, { user: 'nick', ip })
  t.equal(next.ip, ip, 'the new container really has the old IP')
  t.ok(delay.waiting() > 0, `inspects are held while the new container asks (${delay.waiting()} waiting): the race is on`)

  const oldCreds = await next.imds('/latest/meta-data/iam/security-credentials/olivia', { token: oldToken })
  t.not(oldCreds.status, 200, "the old container's token gets nothing")
  t.notMatch(oldCreds.body, /AccessKeyId/)
  const put = await next.imds('/latest/api/token', { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })
  t.not(put.status, 200, 'an address Docker has not confirmed gets no token')
  if (put.status === 200) {
    t.not((await next.imds('/latest/meta-data/iam/security-credentials/', { token: put.body })).body, 'olivia', 'never the first person')
  }
  t.ok(delay.waiting() > 0, 'all of that was answered while the inspects were still held')

  delay.release()
  let token = ''
  let list = ''
  for (let i = 0; i < 60 && list !== 'nick'; i++) {
    const r = await next.imds('/latest/api/token', { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' } })
    if (r.status === 200) {
      token = r.body
      list = (await next.imds('/latest/meta-data/iam/security-credentials/', { token })).body
      t.not(list, 'olivia', 'never the first person')
    } else await sleep(500)
  }
  t.equal(list, 'nick', 'once Docker answers, the new container is answered as itself')
  t.equal((await next.imds('/latest/meta-data/iam/security-credentials/olivia', { token })).status, 404)
  t.equal((await next.imds('/latest/meta-data/iam/security-credentials/nick', { token })).status, 200)
})

t.test("a new container on a reused IP never gets the old container's role or token", async (t) => {
  const old = await runBox(t, proxy, { user: 'olivia', ip })
  const oldToken = await old.token()
  const creds = await old.imds('/latest/meta-data/iam/security-credentials/olivia', { token: oldToken })
  t.equal(creds.status, 200)
  await old.remove()

  const next = await runBox(t, proxy, { user: 'nick', ip })
  t.equal(next.ip, ip, 'the new container really has the old IP')
  t.equal((await next.imds('/latest/meta-data/iam/security-credentials/olivia', { token: oldToken })).status, 401, "the old container's token is refused")
  const token = await next.token()
  const list = await next.imds('/latest/meta-data/iam/security-credentials/', { token })
  t.equal(list.body, 'nick')
  t.equal((await next.imds('/latest/meta-data/iam/security-credentials/olivia', { token })).status, 404)
  const own = await next.imds('/latest/meta-data/iam/security-credentials/nick', { token })
  t.equal(own.status, 200)
  await next.remove()

  const stranger = await runBox(t, proxy, { ip })
  t.equal(stranger.ip, ip)
  t.equal((await stranger.imds('/latest/api/token', { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })).status, 404, 'an unlabeled container on the reused IP gets nothing')
  t.equal((await stranger.imds('/latest/meta-data/iam/security-credentials/nick', { token })).status, 404)
})

t.test('a stopped container leaves the index at once', async (t) => {
  const box = await runBox(t, proxy, { user: 'paula' })
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/', { token: await box.token() })).body, 'paula')
  const before = await indexSize()
  await execa('/usr/bin/docker', ['stop', '-t', '0', box.id])
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await indexSize(), before - 1, 'the die event removed it, with no resync')
})

async function indexSize (): Promise<number> {
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
  return Number(/^bastion_index_containers (\d+)$/m.exec(metrics)?.[1])
}
