// Passthrough to the host IMDS, against a fake fetch: the host's own IMDSv2 token, the
// cache, the allowlist, and failures.
import t from 'tap'
import { MAX_BODY_BYTES, passthrough, type PassthroughOptions } from '../../src/imds/passthrough.ts'
import { isBastionError } from '../../src/errors.ts'
import { fakeClock } from '../fixtures/clock.ts'

interface Call { url: string, method: string, headers: Record<string, string>, redirect: string | undefined }
type Answer = Response | Error | 'hold'

// Answers token PUTs with host-token-1, -2, ... and GETs from `answers` (in order),
// then with 200 "answer:<path>".
function fakeFetch () {
  const calls: Call[] = []
  const answers: Answer[] = []
  const tokenAnswers: Answer[] = []
  const held: Array<(r: Response) => void> = []
  let tokens = 0
  const impl = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input)
    const method = init?.method ?? 'GET'
    calls.push({ url, method, headers: { ...(init?.headers as Record<string, string> | undefined) }, redirect: init?.redirect })
    const next = method === 'PUT' ? tokenAnswers.shift() : answers.shift()
    if (next instanceof Error) throw next
    if (next === 'hold') return await new Promise<Response>((resolve) => { held.push(resolve) })
    if (next !== undefined) return next
    if (method === 'PUT') return new Response(`host-token-${++tokens}`, { status: 200 })
    return new Response(`answer:${new URL(url).pathname}`, { status: 200, headers: { 'content-type': 'text/plain' } })
  }) as typeof fetch
  const gets = (): Call[] => calls.filter((c) => c.method === 'GET')
  const puts = (): Call[] => calls.filter((c) => c.method === 'PUT')
  return { impl, calls, answers, tokenAnswers, held, gets, puts }
}

function setup (over: Partial<PassthroughOptions> = {}) {
  const c = fakeClock()
  const f = fakeFetch()
  const pt = passthrough({
    upstream: 'http://169.254.169.254',
    paths: ['meta-data/instance-id', 'meta-data/placement/region', 'dynamic/instance-identity/document'],
    cacheSeconds: 300,
    timeoutMs: 2000,
    clock: c.clock,
    fetchImpl: f.impl,
    ...over
  })
  return { ...c, f, pt }
}

t.test('only allowlisted canonical paths are allowed', async (t) => {
  const { pt } = setup()
  t.ok(pt.allowed('meta-data/instance-id'))
  t.ok(pt.allowed('dynamic/instance-identity/document'))
  for (const p of ['meta-data', 'meta-data/instance-id/', 'meta-data/iam/security-credentials', 'user-data', 'meta-data/instance-id/x', '']) {
    t.notOk(pt.allowed(p), p)
  }
})

t.test('a path outside the allowlist is refused without any upstream call', async (t) => {
  const { pt, f } = setup()
  await t.rejects(pt.fetch('meta-data/iam/security-credentials/host-role'), /not allowed/)
  await t.rejects(pt.fetch('user-data'), /not allowed/)
  t.equal(f.calls.length, 0)
})

t.test('the first fetch gets a host token with a PUT and sends it with the GET', async (t) => {
  const { pt, f } = setup()
  const answer = await pt.fetch('meta-data/instance-id')
  t.same(answer, { status: 200, body: 'answer:/latest/meta-data/instance-id', contentType: 'text/plain' })
  t.same(f.calls.map((c) => `${c.method} ${c.url}`), [
    'PUT http://169.254.169.254/latest/api/token',
    'GET http://169.254.169.254/latest/meta-data/instance-id'
  ])
  t.equal(f.calls[0]?.headers['x-aws-ec2-metadata-token-ttl-seconds'], '21600')
  t.equal(f.calls[1]?.headers['x-aws-ec2-metadata-token'], 'host-token-1')
})

t.test('the upstream URL is rebuilt from the upstream origin, /latest/ and the canonical path', async (t) => {
  const { pt, f } = setup({ upstream: 'http://127.0.0.1:8999/' })
  await pt.fetch('dynamic/instance-identity/document')
  t.same(f.calls.map((c) => c.url), ['http://127.0.0.1:8999/latest/api/token', 'http://127.0.0.1:8999/latest/dynamic/instance-identity/document'])
})

t.test('the host token is reused for later fetches', async (t) => {
  const { pt, f, advance } = setup({ cacheSeconds: 0 })
  await pt.fetch('meta-data/instance-id')
  await advance(3_600_000)
  await pt.fetch('meta-data/placement/region')
  await pt.fetch('meta-data/instance-id')
  t.equal(f.puts().length, 1)
  t.same(f.gets().map((c) => c.headers['x-aws-ec2-metadata-token']), ['host-token-1', 'host-token-1', 'host-token-1'])
})

t.test('the host token is renewed a minute before its six hours are up', async (t) => {
  const { pt, f, advance } = setup({ cacheSeconds: 0 })
  await pt.fetch('meta-data/instance-id')
  await advance((21600 - 60) * 1000 - 1)
  await pt.fetch('meta-data/instance-id')
  t.equal(f.puts().length, 1)
  await advance(1)
  await pt.fetch('meta-data/instance-id')
  t.equal(f.puts().length, 2)
  t.equal(f.gets()[2]?.headers['x-aws-ec2-metadata-token'], 'host-token-2')
})

t.test('concurrent fetches share one token request', async (t) => {
  const { pt, f } = setup()
  f.tokenAnswers.push('hold')
  const a = pt.fetch('meta-data/instance-id')
  const b = pt.fetch('meta-data/placement/region')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(f.puts().length, 1)
  f.held[0]?.(new Response('shared-token', { status: 200 }))
  await Promise.all([a, b])
  t.equal(f.puts().length, 1)
  t.same(f.gets().map((c) => c.headers['x-aws-ec2-metadata-token']), ['shared-token', 'shared-token'])
})

t.test('a 401 from upstream drops the host token, gets a new one and retries once', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Response('', { status: 401 }))
  const answer = await pt.fetch('meta-data/instance-id')
  t.equal(answer.status, 200)
  t.equal(f.puts().length, 2)
  t.same(f.gets().map((c) => c.headers['x-aws-ec2-metadata-token']), ['host-token-1', 'host-token-2'])
  await pt.fetch('meta-data/placement/region')
  t.equal(f.puts().length, 2, 'the new token is kept')
})

t.test('a second 401 is returned as the answer, not retried again', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Response('', { status: 401 }), new Response('', { status: 401 }))
  t.equal((await pt.fetch('meta-data/instance-id')).status, 401)
  t.equal(f.gets().length, 2)
})

t.test('answers are cached for cacheSeconds', async (t) => {
  const { pt, f, advance } = setup({ cacheSeconds: 300 })
  const first = await pt.fetch('meta-data/instance-id')
  await advance(299_999)
  t.same(await pt.fetch('meta-data/instance-id'), first)
  t.equal(f.gets().length, 1)
  await advance(1)
  await pt.fetch('meta-data/instance-id')
  t.equal(f.gets().length, 2, 'fetched again once cacheSeconds have passed')
})

t.test('the cache is per path', async (t) => {
  const { pt, f } = setup()
  t.equal((await pt.fetch('meta-data/instance-id')).body, 'answer:/latest/meta-data/instance-id')
  t.equal((await pt.fetch('meta-data/placement/region')).body, 'answer:/latest/meta-data/placement/region')
  t.equal(f.gets().length, 2)
})

t.test('cacheSeconds 0 turns the cache off', async (t) => {
  const { pt, f } = setup({ cacheSeconds: 0 })
  await pt.fetch('meta-data/instance-id')
  await pt.fetch('meta-data/instance-id')
  t.equal(f.gets().length, 2)
})

t.test('answers other than 200 are passed back but not cached', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Response('nope', { status: 404 }))
  t.same(await pt.fetch('meta-data/instance-id'), { status: 404, body: 'nope', contentType: 'text/plain;charset=UTF-8' })
  t.equal((await pt.fetch('meta-data/instance-id')).status, 200)
  t.equal(f.gets().length, 2)
})

t.test('an answer without content type is reported as text/plain', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Response(new Uint8Array([0x69]), { status: 200 }))
  t.same(await pt.fetch('meta-data/instance-id'), { status: 200, body: 'i', contentType: 'text/plain' })
})

t.test('a failed GET is an UPSTREAM_FAILED error with the cause', async (t) => {
  const { pt, f } = setup()
  const cause = new Error('connect ECONNREFUSED')
  f.answers.push(cause)
  const err = await pt.fetch('meta-data/instance-id').then(() => undefined, (e: unknown) => e)
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_UPSTREAM_FAILED'))
  t.equal((err as Error).cause, cause)
  t.match((err as Error).message, /meta-data\/instance-id/)
})

t.test('a failed token request is an UPSTREAM_FAILED error, and the next fetch asks again', async (t) => {
  const { pt, f } = setup()
  f.tokenAnswers.push(new Response('', { status: 403 }))
  const err = await pt.fetch('meta-data/instance-id').then(() => undefined, (e: unknown) => e)
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_UPSTREAM_FAILED'))
  t.match((err as Error).message, /token request answered 403/)
  t.equal(f.gets().length, 0, 'no GET without a token')
  f.tokenAnswers.push(new Error('socket hang up'))
  t.ok(isBastionError(await pt.fetch('meta-data/instance-id').then(() => undefined, (e: unknown) => e), 'BASTION_METADATAPROXY_UPSTREAM_FAILED'))
  t.equal((await pt.fetch('meta-data/instance-id')).status, 200)
  t.equal(f.puts().length, 3)
})

t.test('concurrent fetches of one path make one upstream GET; other paths are not held up', async (t) => {
  const { pt, f } = setup()
  f.answers.push('hold')
  const many = Array.from({ length: 10 }, () => pt.fetch('meta-data/instance-id'))
  const other = await pt.fetch('meta-data/placement/region')
  t.equal(other.body, 'answer:/latest/meta-data/placement/region')
  await new Promise((r) => setImmediate(r))
  t.equal(f.gets().filter((c) => c.url.endsWith('/instance-id')).length, 1, 'one GET in flight for ten callers')
  f.held.shift()?.(new Response('i-0123', { status: 200 }))
  const answers = await Promise.all(many)
  t.same(new Set(answers.map((a) => a.body)), new Set(['i-0123']))
  t.equal(f.gets().length, 2)
})

t.test('a failed shared fetch fails every waiter, and the next fetch asks again', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Error('ECONNRESET'))
  const both = await Promise.allSettled([pt.fetch('meta-data/instance-id'), pt.fetch('meta-data/instance-id')])
  t.same(both.map((r) => r.status), ['rejected', 'rejected'])
  t.equal(f.gets().length, 1)
  t.equal((await pt.fetch('meta-data/instance-id')).status, 200)
  t.equal(f.gets().length, 2)
})

t.test('redirects are never followed, for the token or a path', async (t) => {
  const { pt, f } = setup()
  await pt.fetch('meta-data/instance-id')
  t.same(f.calls.map((c) => c.redirect), ['error', 'error'])
})

t.test('an answer over MAX_BODY_BYTES is an UPSTREAM_FAILED error and is not cached', async (t) => {
  const { pt, f } = setup()
  f.answers.push(new Response('x'.repeat(MAX_BODY_BYTES + 1), { status: 200 }))
  const err = await pt.fetch('meta-data/instance-id').catch((e: unknown) => e)
  t.ok(isBastionError(err, 'BASTION_METADATAPROXY_UPSTREAM_FAILED'))
  t.match((err as Error).message, /over 65536 bytes/)
  t.equal((await pt.fetch('meta-data/instance-id')).body, 'answer:/latest/meta-data/instance-id', 'asked again, not served from the cache')
  f.answers.push(new Response('y'.repeat(MAX_BODY_BYTES), { status: 200 }))
  t.equal((await pt.fetch('meta-data/placement/region')).body.length, MAX_BODY_BYTES, 'exactly the limit is fine')
})
