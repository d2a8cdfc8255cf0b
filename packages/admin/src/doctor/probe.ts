// The network questions doctor asks: an HTTP GET on the proxy's admin port, an HTTPS
// GET on a cluster's API endpoint that trusts only the cluster's own CA, and a connect to
// the session broker's Unix socket. Each has a deadline; the answer is the status code
// (or that something accepted the connection), or why there was none.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'

export type Answer = { status: number, body: string } | { error: string, code?: string }
export type Connected = { connected: true } | { error: string, code?: string }

export interface Probe {
  get (url: string, opts: { timeoutMs: number, ca?: string }): Promise<Answer>
  // Connects and closes at once, saying nothing: whatever serves the socket only sees a
  // client that went away.
  connect (socketPath: string, opts: { timeoutMs: number }): Promise<Connected>
}

const MAX_BODY = 4096

export function netProbe (): Probe {
  return {
    get (url, opts) {
      return new Promise<Answer>((resolve) => {
        const u = new URL(url)
        const request = u.protocol === 'https:' ? httpsRequest : httpRequest
        const req = request(u, {
          method: 'GET',
          timeout: opts.timeoutMs,
          // Only the CA given: a cluster endpoint that presents anything else fails.
          ...(opts.ca === undefined ? {} : { ca: opts.ca, rejectUnauthorized: true }),
          headers: { accept: 'application/json' }
        }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => { if (body.length < MAX_BODY) body += d })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, MAX_BODY) }))
          res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.message, ...(err.code === undefined ? {} : { code: err.code }) }))
        })
        req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })))
        req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.message, ...(err.code === undefined ? {} : { code: err.code }) }))
        req.end()
      })
    },
    connect (socketPath, opts) {
      return new Promise<Connected>((resolve) => {
        const socket = connect({ path: socketPath, signal: AbortSignal.timeout(opts.timeoutMs) })
        socket.once('connect', () => { socket.destroy(); resolve({ connected: true }) })
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.name === 'AbortError'
          ? { error: `no answer within ${opts.timeoutMs} ms`, code: 'ETIMEDOUT' }
          : { error: err.message, ...(err.code === undefined ? {} : { code: err.code }) }))
      })
    }
  }
}
