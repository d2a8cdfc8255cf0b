// buildApp: wires the proxy from a validated config and its outside-world adapters.
// It listens on nothing; main.ts (or a test) decides where the two apps listen.
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/schema.ts'
import type { Clock } from './clock.ts'
import type { DockerSource } from './docker/source.ts'
import type { AssumeRoleClient } from './sts/sts-client.ts'
import { CredentialBroker } from './sts/broker.ts'
import { ContainerIndex } from './identity/container-index.ts'
import { roleArn } from './identity/names.ts'
import { buildImdsApp } from './imds/app.ts'
import { auditLog } from './imds/audit.ts'
import { passthrough } from './imds/passthrough.ts'
import { tokenSigner } from './imds/token.ts'
import { buildAdminApp } from './admin/app.ts'
import { createMetrics } from './admin/metrics.ts'
import type { RuleWatch } from './iptables/watch.ts'

export interface AppDeps {
  docker: DockerSource
  sts: AssumeRoleClient
  clock: Clock
  log: Logger
  // Where the audit lines go; the main log when not given.
  auditLog?: Logger
  fetchImpl?: typeof fetch
  // The fail-closed iptables rules: whether they are in place right now, and repairs so far.
  iptables?: Pick<RuleWatch, 'state' | 'repairs'>
}

export interface App {
  imds: FastifyInstance
  admin: FastifyInstance
  index: ContainerIndex
  broker: CredentialBroker
  // Follows Docker; resolves once the index is complete.
  start (): Promise<void>
  close (): Promise<void>
}

export function buildApp (config: Readonly<Config>, deps: AppDeps): App {
  const mp = config.metadataproxy
  const c = mp.credentials
  const rules = deps.iptables ?? { state: () => ({ ok: true, drift: [] }), repairs: () => 0 }
  const broker = new CredentialBroker({
    client: deps.sts,
    clock: deps.clock,
    durationSeconds: c.durationSeconds,
    minRemainingSeconds: c.minRemainingSeconds,
    refreshBeforeSeconds: c.refreshBeforeSeconds,
    accessDeniedCacheSeconds: c.accessDeniedCacheSeconds,
    retry: { baseMs: c.retryBaseMs, maxMs: c.retryMaxMs },
    timeoutMs: c.stsTimeoutMs,
    onAssumeRole: ({ key, outcome, ms }) => {
      metrics.assumeRole.inc({ outcome })
      metrics.assumeRoleSeconds.observe({ outcome }, ms / 1000)
      const line = { role: key.roleArn, user: key.sessionName, outcome, ms: Math.round(ms) }
      if (outcome === 'ok') deps.log.debug(line, 'AssumeRole')
      else deps.log.warn(line, 'AssumeRole failed')
    }
  })
  const index = new ContainerIndex({
    source: deps.docker,
    network: config.network.name,
    rolePrefix: c.rolePrefix,
    clock: deps.clock,
    resyncMs: mp.docker.resyncSeconds * 1000,
    timeoutMs: mp.docker.timeoutMs,
    log: deps.log.child({ part: 'index' }),
    // Warm the cache as soon as a container starts, so its first request is a hit.
    onManagedStart: (ct) => {
      broker.prefetch({ roleArn: roleArn(config.aws.partition, config.aws.accountId, c.rolePrefix, ct.role), sessionName: ct.user, sourceIdentity: ct.user })
    }
  })
  const metrics = createMetrics({
    containers: () => index.size,
    indexReady: () => index.ready,
    cacheEntries: () => broker.stats().entries,
    iptablesOk: () => rules.state().ok,
    iptablesRepairs: rules.repairs
  })
  const imds = buildImdsApp(config, {
    index: index,
    broker: broker,
    signer: tokenSigner(),
    passthrough: passthrough({ ...mp.passthrough, clock: deps.clock, ...(deps.fetchImpl !== undefined ? { fetchImpl: deps.fetchImpl } : {}) }),
    clock: deps.clock,
    log: deps.log.child({ part: 'imds' }),
    metrics,
    audit: auditLog(deps.auditLog ?? deps.log.child({ part: 'audit' }))
  })
  const admin = buildAdminApp({ log: deps.log.child({ part: 'admin' }), metrics, health: () => {
    const { ok, drift } = rules.state()
    return { indexReady: index.ready, iptablesOk: ok, ...(drift.length > 0 ? { iptablesDrift: drift } : {}) }
  } })
  return {
    imds,
    admin,
    index: index,
    broker: broker,
    start: () => index.start(),
    async close () {
      index.close()
      broker.close()
      await Promise.allSettled([imds.close(), admin.close()])
    }
  }
}
