// The few harmless paths that are answered from the host's real IMDS, fetched with the
// host's own IMDSv2 token and cached. The allowlist is matched on canonical paths and
// the upstream URL is rebuilt from them; nothing else ever goes upstream.
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

export function passthrough (opts: PassthroughOptions): Passthrough {
  const allow = new Set(opts.paths)
  const cache = new Map<string, { answer: UpstreamAnswer; until: number }>()
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
      const now = opts.clock.now()
      const hit = cache.get(path)
      if (hit !== undefined && hit.until > now) return hit.answer
      try {
        const url = new URL(`/latest/${path}`, opts.upstream)
        let res = await doFetch(url, { headers: { 'x-aws-ec2-metadata-token': await hostToken() }, signal: AbortSignal.timeout(opts.timeoutMs) })
        if (res.status === 401) {
          token = undefined
          res = await doFetch(url, { headers: { 'x-aws-ec2-metadata-token': await hostToken() }, signal: AbortSignal.timeout(opts.timeoutMs) })
        }
        const answer = { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? 'text/plain' }
        if (answer.status === 200 && opts.cacheSeconds > 0) cache.set(path, { answer, until: now + opts.cacheSeconds * 1000 })
        return answer
      } catch (err) {
        throw new BastionError('BASTION_METADATAPROXY_UPSTREAM_FAILED', `host IMDS did not answer for ${path}: ${(err as Error).message}`, { cause: err })
      }
    }
  }
}
