// The process: load the config, make sure the network and the fail-closed rules are in
// place, then serve. Only this file listens, handles signals and exits.
import { existsSync } from 'node:fs'
import pino, { type Logger } from 'pino'
import type { Config } from './config/schema.ts'
import { buildApp } from './app.ts'
import { systemClock } from './clock.ts'
import { dockerSource } from './docker/source.ts'
import { dockerEngine } from './docker/engine.ts'
import { ensureNetwork, gatewayOf } from './docker/network.ts'
import { BastionError } from './errors.ts'
import { execaRunner, summarize } from './iptables/iptables.ts'
import { checkBackend } from './iptables/backend.ts'
import { inspectRules } from './iptables/drift.ts'
import { buildRules, type RuleOptions } from './iptables/rules.ts'
import { getentLookup, hostGuardIds, type IdLookup } from './iptables/host-ids.ts'
import { watchRules } from './iptables/watch.ts'
import { createLogger, REDACT } from './log.ts'
import { createStsClient } from './sts/sts-client.ts'

// ipv6: whether this kernel has IPv6 at all; without it there is no ip6tables table to
// fill, and nothing a container could send over IPv6. lookup: how the host guard's
// account names become ids (NSS, through getent).
export function ruleOptions (config: Readonly<Config>, ipv6: boolean = existsSync('/proc/net/if_inet6'), lookup: IdLookup = getentLookup): RuleOptions {
  return {
    bridge: config.network.bridge,
    proxyAddress: gatewayOf(config.network.subnet),
    proxyPort: config.metadataproxy.imds.port,
    perSource: config.metadataproxy.imds.maxConnectionsPerSource,
    chainPrefix: config.metadataproxy.iptables.chainPrefix,
    egress: config.network.egress,
    ipv6,
    ...(config.metadataproxy.iptables.hostGuard ? { host: hostGuardIds(lookup) } : {})
  }
}

export async function serve (config: Readonly<Config>, log: Logger = createLogger(config.metadataproxy.log.level)): Promise<{ close (): Promise<void>, imdsAddress: string, adminAddress: string }> {
  const mp = config.metadataproxy
  // No client-wide timeout: it would also cut the long-lived events stream. Each
  // request carries its own deadline instead (see docker/source.ts).
  const docker = dockerEngine(mp.docker.socketPath)
  try {
    await withTimeout(docker.ping(), mp.docker.timeoutMs)
  } catch (err) {
    throw new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', `Docker Engine does not answer on ${mp.docker.socketPath}: ${(err as Error).message}`, { cause: err })
  }
  const { gateway, created } = await withTimeout(ensureNetwork(docker, config.network), mp.docker.timeoutMs)
  if (created) log.info({ network: config.network.name, subnet: config.network.subnet }, 'created the bastion Docker network')

  // Refuse to serve unless containers are fail-closed: without the rules a container
  // could reach the host's real IMDS whenever this process is down. Rules that were
  // installed once and drifted since are repaired; rules never installed mean the
  // firewall unit did not run before Docker, and that is the operator's to fix.
  const runner = execaRunner()
  const set = buildRules(ruleOptions(config))
  await checkBackend({ runner })
  const drift = await inspectRules(runner, set)
  if (set.chains.filter((c) => c.owned).every((c) => drift.some((d) => d.kind === 'missing-chain' && d.chain === c))) {
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_MISSING',
      `refusing to serve: iptables rules are missing (run \`bastion-metadataproxy iptables install\`):\n  - ${summarize(drift).missing.join('\n  - ')}`)
  }
  const rules = watchRules({ runner, set, intervalMs: mp.iptables.checkSeconds * 1000, log: log.child({ part: 'iptables' }) })
  const first = await rules.tick()
  if (!first.ok) {
    rules.stop()
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_MISSING', `refusing to serve: the iptables rules could not be repaired:\n  - ${first.drift.join('\n  - ')}`)
  }

  const auditLogger = mp.log.auditFile === undefined
    ? undefined
    : pino({ level: 'info', base: { component: 'metadataproxy', part: 'audit' }, redact: { paths: REDACT, censor: '[redacted]' } },
      pino.multistream([{ stream: process.stdout }, { stream: pino.destination({ dest: mp.log.auditFile, append: true, mkdir: true, sync: false }) }]))
  const sts = createStsClient({
    region: config.aws.region,
    timeoutMs: mp.credentials.stsTimeoutMs,
    ...(config.aws.stsEndpoint !== undefined ? { endpoint: config.aws.stsEndpoint } : {})
  })
  const app = buildApp(config, {
    docker: dockerSource(docker),
    sts,
    clock: systemClock(),
    log,
    ...(auditLogger !== undefined ? { auditLog: auditLogger } : {}),
    iptables: rules
  })
  await app.start()
  const imdsAddress = await app.imds.listen({ host: gateway, port: mp.imds.port })
  const adminAddress = await app.admin.listen({ host: mp.admin.host, port: mp.admin.port })
  log.info({ imds: imdsAddress, admin: adminAddress, containers: app.index.size }, 'metadata proxy ready')
  return {
    imdsAddress,
    adminAddress,
    async close () {
      rules.stop()
      await app.close()
      sts.close()
    }
  }
}

// Docker calls at start-up get a deadline: a hung daemon must not hang the proxy.
async function withTimeout<T> (p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new BastionError('BASTION_METADATAPROXY_DOCKER_UNAVAILABLE', `Docker Engine did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
