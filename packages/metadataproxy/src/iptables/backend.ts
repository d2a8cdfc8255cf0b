// iptables has two backends, legacy (x_tables) and nf_tables, and each keeps its own
// rules. Our rules only work in the one Docker's are in: Docker's FORWARD jump into
// DOCKER-USER and its NAT live there. This finds the backend `iptables` uses here and
// refuses when Docker's chains are only in the other one. It never lists the legacy
// tables unless they exist already, since listing them loads the legacy modules.
import { readFile } from 'node:fs/promises'
import { BastionError } from '../errors.ts'
import type { CommandRunner } from './command.ts'

export type Backend = 'nf_tables' | 'legacy'

export interface BackendDeps {
  runner: CommandRunner
  // Reads /proc/net/ip_tables_names: the legacy tables that exist.
  legacyTables?: () => Promise<string>
}

const BINARY: Record<Backend, string> = { nf_tables: 'iptables-nft', legacy: 'iptables-legacy' }

async function quietly (runner: CommandRunner, cmd: string, args: string[], signal?: AbortSignal): Promise<string | undefined> {
  try {
    const r = await runner.run(cmd, args, signal)
    return r.exitCode === 0 ? r.stdout : undefined
  } catch {
    if (signal?.aborted === true) throw signal.reason
    return undefined // that backend is not installed
  }
}

// iptables before 1.8 names no backend: it is legacy.
export async function ourBackend (runner: CommandRunner, signal?: AbortSignal): Promise<Backend> {
  const version = await quietly(runner, 'iptables', ['--version'], signal)
  if (version === undefined) throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED', 'iptables --version failed: is iptables installed?')
  return /\(nf_tables\)/.test(version) ? 'nf_tables' : 'legacy'
}

async function holdsDocker (deps: BackendDeps, backend: Backend, signal?: AbortSignal): Promise<boolean> {
  if (backend === 'legacy') {
    const names = await (deps.legacyTables ?? (() => readFile('/proc/net/ip_tables_names', 'utf8')))().catch(() => '')
    if (!names.split('\n').includes('filter')) return false
  }
  const dump = await quietly(deps.runner, BINARY[backend], ['-w', '5', '-t', 'filter', '-S'], signal)
  return dump?.split('\n').some((line) => line === '-N DOCKER' || line === '-N DOCKER-ISOLATION-STAGE-1' || line === '-N DOCKER-FORWARD') ?? false
}

export async function checkBackend (deps: BackendDeps, signal?: AbortSignal): Promise<Backend> {
  const ours = await ourBackend(deps.runner, signal)
  const other: Backend = ours === 'legacy' ? 'nf_tables' : 'legacy'
  if (!(await holdsDocker(deps, other, signal)) || await holdsDocker(deps, ours, signal)) return ours
  throw new BastionError('BASTION_METADATAPROXY_IPTABLES_BACKEND_MISMATCH',
    `Docker's rules are in iptables ${other}, but iptables on this host is ${ours}: our rules there would never see the containers' traffic. ` +
    `Make both use one backend (e.g. update-alternatives --set iptables /usr/sbin/${BINARY[other]}), then restart Docker and install the rules again`)
}
