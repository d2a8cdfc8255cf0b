// The few harmless paths that are answered from the host's real IMDS, fetched with the
// host's own IMDSv2 token and cached. The allowlist is matched on canonical paths and
// the upstream URL is rebuilt from them; nothing else ever goes upstream. Redirects are
// never followed (one could lead to a path off the allowlist), one fetch per path runs
// at a time however many containers ask, and the cache holds at most one answer of at
// most MAX_BODY_BYTES per allowlisted path.
import type { Clock } from '../clock.ts'
import { BastionError } from '../errors.ts'

export interface UpstreamAnswer { status: number; body: string; contentType: string }

export interface Passthrough {
  allowed (path: string): boolean
  fetch (path: string): Promise<UpstreamAnswer>
}

export interface PassthroughOptions {
  upstream: string
  paths: readonly string[]
  cacheSeconds: number
  timeoutMs: number
  clock: Clock
  fetchImpl?: typeof fetch
}

const TOKEN_TTL = 21600
// Far above any allowlisted answer (the identity document is under 1 KiB).
export const MAX_BODY_BYTES = 64 * 1024

export function passthrough (opts: PassthroughOptions): Passthrough {
  const allow = new Set(opts.paths)
  const cache = new Map<string, { answer: UpstreamAnswer; until: number }>()
  const inflight = new Map<string, Promise<UpstreamAnswer>>()
  const doFetch = opts.fetchImpl ?? fetch
  let token: { value: string; until: number } | undefined
  let tokenInflight: Promise<string> | undefined

  async function hostToken (): Promise<string> {
    const now = opts.clock.now()
    if (token !== undefined && token.until > now) return token.value
    tokenInflight ??= (async () => {
      const res = await doFetch(new URL('/latest/api/token', opts.upstream), {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL) },
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutMs)
      })
      if (res.status !== 200) throw new Error(`token request answered ${res.status}`)
      const value = await res.text()
      token = { value, until: opts.clock.now() + (TOKEN_TTL - 60) * 1000 }
      return value
    })().finally(() => { tokenInflight = undefined })
    return tokenInflight
  }

  return {
    allowed: (path) => allow.has(path),
    async fetch (path) {
      if (!allow.has(path)) throw new Error(`not allowed: ${path}`)
      const hit = cache.get(path)
      if (hit !== undefined && hit.until > opts.clock.now()) return hit.answer
      let shared = inflight.get(path)
      if (shared === undefined) {
        shared = fetchUpstream(path).finally(() => { inflight.delete(path) })
        inflight.set(path, shared)
      }
      return shared
    }
  }

  async function fetchUpstream (path: string): Promise<UpstreamAnswer> {
    const now = opts.clock.now()
    try {
      const url = new URL(`/latest/${path}`, opts.upstream)
      const get = async (): Promise<Response> => doFetch(url, { headers: { 'x-aws-ec2-metadata-token': await hostToken() }, redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs) })
      let res = await get()
      if (res.status === 401) {
        token = undefined
        res = await get()
      }
      const answer = { status: res.status, body: await boundedText(res), contentType: res.headers.get('content-type') ?? 'text/plain' }
      if (answer.status === 200 && opts.cacheSeconds > 0) cache.set(path, { answer, until: now + opts.cacheSeconds * 1000 })
      return answer
    } catch (err) {
      throw new BastionError('BASTION_METADATAPROXY_UPSTREAM_FAILED', `host IMDS did not answer for ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
}

// Reads at most MAX_BODY_BYTES, whatever the upstream declares or streams.
async function boundedText (res: Response): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  if (res.body !== null) {
    for await (const chunk of res.body) {
      size += chunk.byteLength
      if (size > MAX_BODY_BYTES) {
        await res.body.cancel().catch(() => {})
        throw new Error(`answer over ${MAX_BODY_BYTES} bytes`)
      }
      chunks.push(chunk)
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}
