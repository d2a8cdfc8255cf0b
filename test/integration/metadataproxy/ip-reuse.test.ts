// ip-reuse: when a container stops and a new one gets its IP, the new one is answered as
// itself: never with the old container's role, and never with the old container's token.
import t from 'tap'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)
const ip = proxy.gateway.replace(/\.1$/, '.77')

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
