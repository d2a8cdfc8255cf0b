// The per-role credential cache between containers and STS: one AssumeRole per
// key at a time, refreshed in the background while the key is in use, with
// backoff after failures and a short negative cache after access-denied.

import type { Clock, Timer } from '../clock.ts'
import { BastionError } from '../errors.ts'
import { StsError, toStsError, type AssumeRoleClient, type Credentials, type StsErrorKind } from './sts-client.ts'

export interface CredentialKey { roleArn: string, sessionName: string, sourceIdentity: string }

export interface BrokerOptions {
  client: AssumeRoleClient
  clock: Clock
  durationSeconds: number // asked of STS
  minRemainingSeconds: number // a served credential normally has at least this much life left
  refreshBeforeSeconds: number // background refresh once life left drops below this (> minRemainingSeconds)
  accessDeniedCacheSeconds: number // how long an access-denied answer is reused
  retry: { baseMs: number, maxMs: number } // backoff after STS failures
  random?: () => number // jitter source, Math.random by default
  safetyMarginSeconds?: number // never serve a credential with this little life left (default 60)
  timeoutMs: number // per STS call
  onAssumeRole?: (event: { key: CredentialKey, outcome: 'ok' | StsErrorKind, ms: number }) => void
}

interface Entry {
  id: string
  key: CredentialKey
  creds: Credentials | undefined
  inflight: Promise<Credentials> | undefined
  abort: AbortController | undefined
  timer: Timer | undefined
  used: boolean // asked for since the last fetch started
  failures: number // consecutive failed or too-short fetches, drives the backoff
  retryAt: number // no STS call before this time (backoff or negative cache)
  lastError: StsError | undefined
}

const noop = (): void => {}

// Newlines cannot occur in ARNs or session names, so they separate the parts safely.
const entryId = (key: CredentialKey): string => `${key.roleArn}\n${key.sessionName}\n${key.sourceIdentity}`

export class CredentialBroker {
  readonly #opts: BrokerOptions
  readonly #clock: Clock
  readonly #entries = new Map<string, Entry>()
  readonly #minRemainingMs: number
  readonly #refreshBeforeMs: number
  readonly #safetyMs: number
  #closed = false

  constructor (opts: BrokerOptions) {
    this.#opts = opts
    this.#clock = opts.clock
    this.#minRemainingMs = opts.minRemainingSeconds * 1000
    this.#refreshBeforeMs = opts.refreshBeforeSeconds * 1000
    this.#safetyMs = (opts.safetyMarginSeconds ?? 60) * 1000
  }

  // Resolves from the cache whenever it can; waits on STS only when the cached
  // credential is missing or short of minRemainingSeconds.
  async get (key: CredentialKey): Promise<Credentials> {
    if (this.#closed) throw unavailable(key, 'the credential broker is closed')
    const e = this.#entry(key)
    this.#touch(e)
    const now = this.#clock.now()
    if (e.creds !== undefined && this.#life(e.creds, now) >= this.#minRemainingMs) return e.creds
    if (e.inflight === undefined && now < e.retryAt) return this.#fallback(e)
    try {
      await this.#fetch(e)
    } catch {
      // The outcome is recorded on the entry; #fallback decides what to serve.
    }
    if (this.#closed) throw unavailable(key, 'the credential broker is closed')
    return this.#fallback(e)
  }

  // The hot path: fresh credentials from the cache, synchronously, or undefined when
  // only get() can answer (missing, short of minRemainingSeconds, closed).
  peek (key: CredentialKey): Credentials | undefined {
    if (this.#closed) return undefined
    const e = this.#entries.get(entryId(key))
    if (e?.creds === undefined || this.#life(e.creds, this.#clock.now()) < this.#minRemainingMs) return undefined
    this.#touch(e)
    return e.creds
  }

  // Warms the cache for a key about to be used, e.g. when a container starts.
  prefetch (key: CredentialKey): void {
    this.get(key).catch(noop)
  }

  stats (): { entries: number, inflight: number } {
    let inflight = 0
    for (const e of this.#entries.values()) if (e.inflight !== undefined) inflight++
    return { entries: this.#entries.size, inflight }
  }

  close (): void {
    this.#closed = true
    for (const e of this.#entries.values()) {
      if (e.timer !== undefined) this.#clock.clearTimeout(e.timer)
      e.timer = undefined
      e.abort?.abort(new StsError('unavailable', 'the credential broker is closed'))
    }
    this.#entries.clear()
  }

  #entry (key: CredentialKey): Entry {
    const id = entryId(key)
    let e = this.#entries.get(id)
    if (e === undefined) {
      e = {
        id, key: { ...key }, creds: undefined, inflight: undefined, abort: undefined, timer: undefined,
        used: false, failures: 0, retryAt: 0, lastError: undefined
      }
      this.#entries.set(id, e)
    }
    return e
  }

  #life (creds: Credentials, now: number): number {
    return creds.expiration.getTime() - now
  }

  // Serves what is still safe to hand out, otherwise explains why not.
  #fallback (e: Entry): Credentials {
    if (e.creds !== undefined && this.#life(e.creds, this.#clock.now()) > this.#safetyMs) return e.creds
    const err = e.lastError
    if (err?.kind === 'access-denied') {
      throw new BastionError('BASTION_METADATAPROXY_STS_ACCESS_DENIED',
        `STS refused to assume ${e.key.roleArn} for ${e.key.sessionName}`, { cause: err })
    }
    throw unavailable(e.key, err === undefined ? 'STS returned credentials that expire too soon' : 'STS failed recently', err)
  }

  // The first use after a fetch moves the wake-up from "drop" to "refresh".
  #touch (e: Entry): void {
    if (e.used) return
    e.used = true
    this.#schedule(e)
  }

  // One timer per idle entry: a used key wakes to refresh, an unused one wakes
  // to be dropped once nothing servable or no backoff is left in it.
  #schedule (e: Entry): void {
    if (this.#closed || e.inflight !== undefined) return
    if (e.timer !== undefined) this.#clock.clearTimeout(e.timer)
    const exp = e.creds?.expiration.getTime()
    const at = Math.max(e.retryAt, exp === undefined ? 0 : exp - (e.used ? this.#refreshBeforeMs : this.#safetyMs))
    e.timer = this.#clock.setTimeout(() => { this.#wake(e) }, Math.max(0, at - this.#clock.now()))
  }

  #wake (e: Entry): void {
    e.timer = undefined
    if (this.#closed || e.inflight !== undefined) return
    if (!e.used) {
      this.#entries.delete(e.id)
    } else if (this.#clock.now() < e.retryAt) {
      this.#schedule(e)
    } else {
      this.#fetch(e).catch(noop)
    }
  }

  // Single-flight AssumeRole for one entry, bounded by timeoutMs even if the
  // client ignores the abort signal.
  #fetch (e: Entry): Promise<Credentials> {
    if (e.inflight !== undefined) return e.inflight
    if (e.timer !== undefined) this.#clock.clearTimeout(e.timer)
    e.timer = undefined
    e.used = false
    const { client, durationSeconds, timeoutMs } = this.#opts
    const ac = new AbortController()
    const started = this.#clock.now()
    const timeout = this.#clock.setTimeout(() => {
      ac.abort(new StsError('unavailable', `STS AssumeRole timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const input = { roleArn: e.key.roleArn, sessionName: e.key.sessionName, sourceIdentity: e.key.sourceIdentity, durationSeconds }
    e.abort = ac
    e.inflight = untilAborted(client.assumeRole(input, ac.signal), ac.signal)
      .then(
        (creds) => { this.#succeeded(e, creds, started); return creds },
        (err: unknown) => { throw this.#failed(e, toStsError(err), started) })
      .finally(() => {
        this.#clock.clearTimeout(timeout)
        e.inflight = undefined
        e.abort = undefined
        this.#schedule(e)
      })
    return e.inflight
  }

  #succeeded (e: Entry, creds: Credentials, started: number): void {
    const now = this.#clock.now()
    this.#opts.onAssumeRole?.({ key: e.key, outcome: 'ok', ms: now - started })
    e.creds = creds
    e.lastError = undefined
    // A credential already due for refresh would make the refresh timer fire at
    // once, forever; treat it like a failure so refreshes are spaced by backoff.
    if (this.#life(creds, now) < this.#refreshBeforeMs) {
      e.failures++
      e.retryAt = now + this.#backoff(e.failures)
    } else {
      e.failures = 0
      e.retryAt = 0
    }
  }

  #failed (e: Entry, err: StsError, started: number): StsError {
    const now = this.#clock.now()
    this.#opts.onAssumeRole?.({ key: e.key, outcome: err.kind, ms: now - started })
    e.lastError = err
    if (err.kind === 'access-denied') {
      // Fail closed: a role that now refuses this user loses its cached credential too.
      e.creds = undefined
      e.failures = 0
      e.retryAt = now + this.#opts.accessDeniedCacheSeconds * 1000
    } else {
      e.failures++
      e.retryAt = now + this.#backoff(e.failures)
    }
    return err
  }

  // Exponential, capped, with "equal jitter": at least half the step is always
  // waited, so a failing STS is never hammered.
  #backoff (failures: number): number {
    const { baseMs, maxMs } = this.#opts.retry
    const step = Math.min(maxMs, baseMs * 2 ** (failures - 1))
    return step / 2 + (this.#opts.random ?? Math.random)() * step / 2
  }
}

function unavailable (key: CredentialKey, why: string, cause?: unknown): BastionError {
  return new BastionError('BASTION_METADATAPROXY_STS_UNAVAILABLE',
    `No credentials for ${key.roleArn} (${key.sessionName}): ${why}`, { cause })
}

// Rejects as soon as the signal aborts, without leaving the original promise's
// later rejection unhandled.
function untilAborted<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v) },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}
