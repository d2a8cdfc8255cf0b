// The IMDS listener: IMDSv1/v2 emulation for managed containers. The caller is the TCP
// source address, resolved through the container index; no header ever counts. Unknown
// callers get 404 on every path, credential paths are always answered here, and only an
// allowlist of harmless paths goes to the host's IMDS.
import { createServer } from 'node:http'
import { Counter, Gauge } from 'prom-client'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { Clock } from '../clock.ts'
import type { ManagedContainer } from '../identity/container-index.ts'
import type { Passthrough } from './passthrough.ts'
import { callerIp, imdsContext } from './context.ts'
import { fastCredentials } from './fast-path.ts'
import { errorBody, iamInfoBody } from './responses.ts'
import { parseTtl, type TokenSigner } from './token.ts'
import type { CredentialKey } from '../sts/broker.ts'
import type { Credentials } from '../sts/sts-client.ts'
import { isBastionError } from '../errors.ts'
import type { Metrics } from '../admin/metrics.ts'
import type { AuditLog } from './audit.ts'
import { limitConnections, type LimitedServer } from './connection-limits.ts'

export interface ImdsDeps {
  index: { lookup (ip: string): ManagedContainer | undefined, lookupFresh? (ip: string): Promise<ManagedContainer | undefined> }
  broker: { get (key: CredentialKey): Promise<Credentials>, peek (key: CredentialKey): Credentials | undefined }
  signer: TokenSigner
  passthrough: Passthrough
  clock: Clock
  log: Logger
  metrics: Metrics
  audit: AuditLog
}

const TOKEN_HEADER = 'x-aws-ec2-metadata-token'
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds'

export function buildImdsApp (config: Readonly<Config>, deps: ImdsDeps): FastifyInstance {
  const { imds, passthrough: pt } = config.metadataproxy
  const ctx = imdsContext(config, deps.signer)
  const fast = fastCredentials(ctx, deps)
  const refused = new Counter({ name: 'bastion_imds_connections_refused_total', help: 'IMDS connections closed at accept, by the cap they met', labelNames: ['reason'] as const, registers: [deps.metrics.registry] })
  let limited: LimitedServer | undefined
  new Gauge({ name: 'bastion_imds_connections', help: 'IMDS connections open', registers: [deps.metrics.registry], collect () { this.set(limited?.open() ?? 0) } })
  // One warning per source and minute at most: a flood must not flood the log too.
  const warned = new Map<string, number>()
  const onRefused = (reason: 'per-source' | 'total', source: string): void => {
    refused.inc({ reason })
    const now = deps.clock.now()
    if ((warned.get(source) ?? Number.NEGATIVE_INFINITY) > now - 60_000) return
    if (warned.size > 4096) warned.clear()
    warned.set(source, now)
    deps.log.warn({ source, reason, perSource: imds.maxConnectionsPerSource, total: imds.maxConnections }, 'IMDS connection refused: over the connection cap')
  }
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // No child logger per request: the hot path logs nothing, and a child costs.
    childLoggerFactory: (logger) => logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: 1024,
    return503OnClosing: true,
    // Fastify sets no timeouts on a server it did not create: limitConnections does.
    serverFactory: (handler) => {
      const server = createServer({ maxHeaderSize: imds.maxHeaderBytes, connectionsCheckingInterval: 1000 }, (req, res) => {
        limited?.request(req.socket)
        if (!fast(req, res)) handler(req, res)
      })
      limited = limitConnections(server, {
        perSource: imds.maxConnectionsPerSource,
        total: imds.maxConnections,
        headersTimeoutMs: imds.headersTimeoutMs,
        requestTimeoutMs: imds.requestTimeoutMs,
        idleTimeoutMs: imds.idleTimeoutMs
      }, { refused: onRefused })
      return server
    }
  })
  // IMDS requests carry no body we care about; accept any content type and ignore it.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, _payload, done) => { done(null) })

  const send = (reply: FastifyReply, route: string, status: number, body = ''): FastifyReply => {
    deps.metrics.countRequest(route, status)
    return reply.code(status).header('content-type', 'text/plain').header('server', 'EC2ws').send(body)
  }

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '*',
    handler: async (req, reply) => {
      const ip = callerIp(req.raw.socket)
      const container = deps.index.lookup(ip) ?? await deps.index.lookupFresh?.(ip)
      const path = ctx.canonical(req.raw.url ?? '')
      if (container === undefined) return send(reply, 'unknown-caller', 404)
      if (path === null) return send(reply, 'invalid-path', 404)
      const p = path.joined

      if (p === 'api/token') {
        if (req.method !== 'PUT') return send(reply, 'token', 405)
        if (req.headers['x-forwarded-for'] !== undefined) return send(reply, 'token', 403)
        const ttl = parseTtl(req.headers[TTL_HEADER])
        if (ttl === undefined) return send(reply, 'token', 400)
        reply.header(TTL_HEADER, String(ttl))
        return send(reply, 'token', 200, deps.signer.issue({ containerId: container.id, ip }, ttl, deps.clock.now()))
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(reply, 'method', 405)

      if (!ctx.authorized(container, ip, req.headers[TOKEN_HEADER], deps.clock.now())) return send(reply, 'unauthorized', 401)

      const roleName = ctx.roleName(container)
      const managed = container.problem === undefined
      if (p === 'meta-data/iam') return managed ? send(reply, 'iam', 200, 'info\nsecurity-credentials/') : send(reply, 'iam', 404)
      if (p === 'meta-data/iam/info') {
        return managed ? send(reply, 'iam', 200, iamInfoBody(config.aws.partition, config.aws.accountId, roleName, new Date(deps.clock.now()))) : send(reply, 'iam', 404)
      }
      if (p === 'meta-data/iam/security-credentials') return managed ? send(reply, 'iam', 200, roleName) : send(reply, 'iam', 404)
      if (path.segments[0] === 'meta-data' && path.segments[1] === 'iam' && path.segments[2] === 'security-credentials' && path.segments.length === 4) {
        if (!managed || path.segments[3] !== roleName) return send(reply, 'credentials', 404)
        const { arn, key } = ctx.keyOf(container)
        // The common case needs no await: fresh credentials straight from the cache.
        const cached = deps.broker.peek(key)
        if (cached !== undefined) {
          deps.audit.issued(container, arn, cached)
          return send(reply, 'credentials', 200, ctx.bodyOf(cached))
        }
        return serveCredentials(reply, container, arn, key)
      }
      if (p === 'meta-data') return send(reply, 'listing', 200, metaDataListing(pt.paths))
      if (p === '' && path.trailingSlash) return send(reply, 'listing', 200, 'dynamic\nmeta-data')
      if (deps.passthrough.allowed(p)) {
        try {
          const answer = await deps.passthrough.fetch(p)
          if (answer.status !== 200) return send(reply, 'passthrough', 404)
          return send(reply, 'passthrough', 200, answer.body)
        } catch (err) {
          req.log.warn({ err, path: p }, 'passthrough failed')
          return send(reply, 'passthrough', 502)
        }
      }
      // Everything else, the host's identity paths included, does not exist for a container.
      return send(reply, 'denied', 404)
    }
  })

  async function serveCredentials (reply: FastifyReply, c: ManagedContainer, arn: string, key: CredentialKey): Promise<FastifyReply> {
    const now = (): Date => new Date(deps.clock.now())
    try {
      const creds = await deps.broker.get(key)
      deps.audit.issued(c, arn, creds)
      return send(reply, 'credentials', 200, ctx.bodyOf(creds))
    } catch (err) {
      if (isBastionError(err, 'BASTION_METADATAPROXY_STS_ACCESS_DENIED')) {
        deps.log.warn({ user: c.user, container: c.name, role: arn }, 'STS denied AssumeRole')
        return send(reply, 'credentials', 403, errorBody('AssumeRoleUnauthorizedAccess', `The bastion cannot assume role ${c.role} for ${c.user}`, now()))
      }
      deps.log.error({ err, user: c.user, container: c.name, role: arn }, 'no credentials to serve')
      return send(reply, 'credentials', 503, errorBody('ServiceUnavailable', 'Credentials are temporarily unavailable; try again', now()))
    }
  }

  return app
}

function metaDataListing (paths: readonly string[]): string {
  const entries = new Set<string>(['iam/'])
  for (const p of paths) {
    const [top, first, second] = p.split('/')
    if (top === 'meta-data' && first !== undefined) entries.add(second !== undefined ? `${first}/` : first)
  }
  return [...entries].sort().join('\n')
}
