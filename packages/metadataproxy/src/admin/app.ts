// The admin listener: /healthz, /metrics and /process, on loopback by default, apart
// from the IMDS listener so that containers can never reach it. /process says which
// account the proxy runs as, for `bastion doctor` (the host guard trusts that uid).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Metrics } from './metrics.ts'

// iptablesDrift: what is wrong with the rules, while anything is.
export interface Health { indexReady: boolean; iptablesOk: boolean; iptablesDrift?: string[] }

export function buildAdminApp (deps: { log: Logger; metrics: Metrics; health: () => Health }): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) })
  app.get('/healthz', async (_req, reply) => {
    const h = deps.health()
    const ok = h.indexReady && h.iptablesOk
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unhealthy', ...h })
  })
  app.get('/process', async (_req, reply) => {
    return reply.send({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.(), groups: process.getgroups?.() })
  })
  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics())
  })
  return app
}
