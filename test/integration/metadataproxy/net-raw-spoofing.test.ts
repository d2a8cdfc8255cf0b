// The proxy knows a caller only by its source address, so a container that could send
// packets from a neighbour's address (NET_RAW, which Docker gives by default, or
// NET_ADMIN) gets no credentials: its problem, with the reason in the log. Its
// neighbour, with the capabilities dropped, is served as before. (Privileged containers
// cannot start on the test bed, itself a container; test/docker/capabilities.test.ts
// covers them.)
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)
const alice = await runBox(t, proxy, { user: 'alice' })
const spoofers = [
  { what: "NET_RAW (Docker's default set)", user: 'mallory', box: await runBox(t, proxy, { user: 'mallory', capAdd: ['NET_RAW'] }), reason: /holds NET_RAW,/ },
  { what: 'NET_ADMIN', user: 'nadia', box: await runBox(t, proxy, { user: 'nadia', capAdd: ['NET_ADMIN'] }), reason: /holds NET_ADMIN,/ }
]

const credentials = async (box: typeof alice, role: string): Promise<number> => (await box.imds(`/latest/meta-data/iam/security-credentials/${role}`, { token: await box.token() })).status

t.test('a container without NET_RAW or NET_ADMIN gets its credentials', async (t) => {
  t.equal(await credentials(alice, 'alice'), 200)
})

for (const { what, user, box, reason } of spoofers) {
  t.test(`a container with ${what} gets no credentials, and the log says why`, async (t) => {
    t.equal(await credentials(box, user), 404, 'no credentials for its own role')
    t.equal((await box.imds('/latest/meta-data/iam/security-credentials/', { token: await box.token() })).status, 404, 'no role listed')
    const line = proxy.logs.find((l) => l.msg === 'managed container gets no credentials' && l.container === box.name)
    t.ok(line, `the proxy logged ${box.name}`)
    t.match(line?.problem, reason)
    t.equal(line?.user, user)
  })
}

t.test('the neighbour is still served after them', async (t) => {
  t.equal(await credentials(alice, 'alice'), 200)
})
