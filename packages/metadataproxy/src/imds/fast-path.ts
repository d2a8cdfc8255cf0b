// The hot path, in plain node:http ahead of Fastify: a GET for a container's own
// credentials that are fresh in the cache. It answers only that one case, and only a
// 200; every other request, every error included, goes on to the Fastify app, which
// holds the whole protocol. Skipping the framework here is what keeps a cached
// credential about as cheap as the most trivial handler.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { callerIp, type ImdsContext } from './context.ts'
import type { ImdsDeps } from './app.ts'

export function fastCredentials (ctx: ImdsContext, deps: ImdsDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET') return false
    const ip = callerIp(req.socket)
    const container = deps.index.lookup(ip)
    if (container === undefined || container.problem !== undefined) return false
    const path = ctx.canonical(req.url ?? '')
    if (path === null || path.segments.length !== 4 || path.segments[0] !== 'meta-data' || path.segments[1] !== 'iam' ||
        path.segments[2] !== 'security-credentials' || path.segments[3] !== ctx.roleName(container)) return false
    if (!ctx.authorized(container, ip, req.headers['x-aws-ec2-metadata-token'], deps.clock.now())) return false
    const { arn, key } = ctx.keyOf(container)
    const creds = deps.broker.peek(key)
    if (creds === undefined) return false
    deps.audit.issued(container, arn, creds)
    deps.metrics.countRequest('credentials', 200)
    const body = ctx.bodyOf(creds)
    res.writeHead(200, { 'content-type': 'text/plain', server: 'EC2ws', 'content-length': Buffer.byteLength(body) })
    res.end(body)
    return true
  }
}
