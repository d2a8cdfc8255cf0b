// The network questions doctor asks: an HTTP GET on the proxy's admin port, and an HTTPS
// GET on a cluster's API endpoint that trusts only the cluster's own CA. Each has a
// deadline; the answer is the status code, or why there was none.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

export type Answer = { status: number, body: string } | { error: string, code?: string }

export interface Probe {
  get (url: string, opts: { timeoutMs: number, ca?: string }): Promise<Answer>
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
    }
  }
}
