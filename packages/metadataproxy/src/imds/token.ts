// IMDSv2 session tokens. Ours are HMAC-signed, carry their expiry, and are bound to the
// container (id and IP) that asked for one: a token replayed from any other container,
// or after its IP passed to a new container, is refused.
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto'

export const MIN_TTL = 1
export const MAX_TTL = 21600

export interface TokenBinding { containerId: string; ip: string }

export interface TokenSigner {
  issue (binding: TokenBinding, ttlSeconds: number, nowMs: number): string
  verify (token: string, binding: TokenBinding, nowMs: number): boolean
}

interface Claims { c: string; i: string; e: number }

// Verified tokens are remembered so that the hot path does one map lookup, not an
// HMAC; the binding and the expiry are still checked on every request.
const VERIFIED_CACHE_SIZE = 8192

// A signer with a fresh random key: tokens die with the process, and clients, as AWS
// SDKs do on a 401, simply ask for a new one.
export function tokenSigner (key: Buffer = randomBytes(32)): TokenSigner {
  const secret = createSecretKey(key)
  const mac = (payload: string): Buffer => createHmac('sha256', secret).update(payload).digest()
  const verified = new Map<string, Claims>()
  const claimsOf = (token: string): Claims | undefined => {
    const known = verified.get(token)
    if (known !== undefined) return known
    const claims = check(token)
    if (claims === undefined) return undefined
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear()
    verified.set(token, claims)
    return claims
  }
  const check = (token: string): Claims | undefined => {
    if (token.length > 1024) return undefined
    const dot = token.indexOf('.')
    if (dot <= 0) return undefined
    const payload = token.slice(0, dot)
    const given = Buffer.from(token.slice(dot + 1), 'base64url')
    const expected = mac(payload)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Claims>
      if (typeof claims.c !== 'string' || typeof claims.i !== 'string' || typeof claims.e !== 'number') return undefined
      return { c: claims.c, i: claims.i, e: claims.e }
    } catch {
      return undefined
    }
  }
  return {
    issue (binding, ttlSeconds, nowMs) {
      const payload = Buffer.from(JSON.stringify({
        c: binding.containerId,
        i: binding.ip,
        e: Math.floor(nowMs / 1000) + ttlSeconds,
        n: randomBytes(8).toString('base64url')
      })).toString('base64url')
      return `${payload}.${mac(payload).toString('base64url')}`
    },
    verify (token, binding, nowMs) {
      const claims = claimsOf(token)
      return claims !== undefined && claims.c === binding.containerId && claims.i === binding.ip && claims.e * 1000 > nowMs
    }
  }
}

// The TTL header of a token PUT, or undefined when it is missing or out of range.
export function parseTtl (header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^[0-9]{1,5}$/.test(header.trim())) return undefined
  const ttl = Number(header.trim())
  return ttl >= MIN_TTL && ttl <= MAX_TTL ? ttl : undefined
}
