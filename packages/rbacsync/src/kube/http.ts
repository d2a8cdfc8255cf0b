// The one place that talks HTTP to a Kubernetes API server: TLS and credentials from a
// @kubernetes/client-node KubeConfig, JSON in and out, a deadline per request, backoff
// on throttling, and a count of every call.
import { request, Agent, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Meter } from '../reconcile/meter.ts'

export interface KubeResponse {
  status: number
  body: unknown
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  body?: unknown
  accept?: string
  // What the meter calls it, e.g. "list clusterroles".
  api: string
}

export type KubeTransport = (req: KubeRequest) => Promise<KubeResponse>

// A non-2xx answer, or no answer at all (status 0).
export class KubeApiError extends Error {
  readonly status: number
  readonly reason: string | undefined
  constructor (req: KubeRequest, status: number, reason: string | undefined, message: string, options?: { cause?: unknown }) {
    super(`${req.method} ${req.path}: ${status === 0 ? '' : `${status} `}${message}`, options)
    this.name = 'KubeApiError'
    this.status = status
    this.reason = reason
  }
}

export interface TransportOptions {
  timeoutMs: number
  maxAttempts: number
  meter: Meter
  // Backoff base; the tests shorten it.
  backoffMs?: number
  sleep?: (ms: number) => Promise<void>
}

export function kubeTransport (kc: KubeConfig, options: TransportOptions): KubeTransport & { close (): void } {
  const cluster = kc.getCurrentCluster()
  if (cluster === null) throw new Error('the kubeconfig has no current cluster')
  const server = new URL(cluster.server)
  let agent: Agent | undefined
  const once = async (req: KubeRequest): Promise<KubeResponse> => {
    const opts: RequestOptions = { method: req.method, headers: {} }
    await kc.applyToHTTPSOptions(opts)
    // client-node's own agent opens a connection per request; keep them alive instead,
    // with the same TLS material, unless the kubeconfig routes through a proxy.
    if (cluster.proxyUrl === undefined) {
      agent ??= new Agent({ keepAlive: true, maxSockets: 8, ca: opts.ca, cert: opts.cert, key: opts.key, ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}) })
      opts.agent = agent
    }
    const body = req.body === undefined ? undefined : JSON.stringify(req.body)
    opts.headers = { ...opts.headers, accept: req.accept ?? 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }
    const url = new URL(req.path, server)
    return await new Promise<KubeResponse>((resolve, reject) => {
      const r = request(url, { ...opts, signal: AbortSignal.timeout(options.timeoutMs) }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          try { parsed = text === '' ? undefined : JSON.parse(text) } catch { /* a non-JSON body stays text */ }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      })
      r.on('error', reject)
      r.end(body)
    })
  }
  return Object.assign(withRetries(once, options), { close: () => agent?.destroy() })
}

// 429 is never processed, so any request may be retried; a GET is also retried on 5xx
// and on a failed connection. Retry-After is honoured up to 10 s.
export function withRetries (once: (req: KubeRequest) => Promise<KubeResponse>, options: TransportOptions): KubeTransport {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const base = options.backoffMs ?? 200
  return async (req) => {
    for (let attempt = 1; ; attempt++) {
      options.meter.count(`k8s:${req.api}`, req.method === 'GET' ? 'read' : 'write')
      let res: KubeResponse | undefined
      let failure: unknown
      try {
        res = await once(req)
      } catch (err) {
        failure = err
      }
      const retryable = res === undefined ? req.method === 'GET' : res.status === 429 || (req.method === 'GET' && res.status >= 500)
      if (!retryable || attempt >= options.maxAttempts) {
        if (res === undefined) throw new KubeApiError(req, 0, undefined, `no answer: ${(failure as Error).message}`, { cause: failure })
        return res
      }
      const after = Number(res?.status === 429 ? (res.body as { details?: { retryAfterSeconds?: number } } | undefined)?.details?.retryAfterSeconds : NaN)
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : base * 2 ** (attempt - 1))
    }
  }
}

// Turns a non-2xx response into a KubeApiError with the server's own message.
export function check (req: KubeRequest, res: KubeResponse): unknown {
  if (res.status >= 200 && res.status < 300) return res.body
  const status = res.body as { message?: string, reason?: string } | string | undefined
  const message = typeof status === 'object' ? status?.message ?? 'error' : String(status ?? 'error').slice(0, 300)
  throw new KubeApiError(req, res.status, typeof status === 'object' ? status?.reason : undefined, message)
}
