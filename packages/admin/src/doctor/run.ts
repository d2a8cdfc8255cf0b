// `bastion doctor`: every check in turn, one line per finding (ok, skipped, or one line
// per problem or warning with its fix), and whether anything needs fixing. Warnings are
// printed with --quiet too, and do not make the exit status 1.
import { dockerCheck } from './checks/docker.ts'
import { iptablesCheck } from './checks/iptables.ts'
import { hostGuardCheck } from './checks/host-guard.ts'
import { networkCheck } from './checks/network.ts'
import { proxyCheck } from './checks/proxy.ts'
import { instanceCheck } from './checks/instance.ts'
import { rolesCheck } from './checks/roles.ts'
import { imageCheck } from './checks/image.ts'
import { shellCheck } from './checks/shell.ts'
import { brokerCheck } from './checks/broker.ts'
import { sshdCheck } from './checks/sshd.ts'
import { dockerGroupCheck } from './checks/docker-group.ts'
import { clustersCheck } from './checks/clusters.ts'
import { homesCheck } from './checks/homes.ts'
import { addressesCheck } from './checks/addresses.ts'
import { shippingCheck } from './checks/shipping.ts'
import type { Check, DoctorContext, Finding } from './check.ts'

// Docker first: the image check is skipped when Docker does not answer. The shell's
// files before its broker, whose fix points at them.
export const CHECKS: readonly Check[] = [dockerCheck, iptablesCheck, networkCheck, proxyCheck, hostGuardCheck, rolesCheck, instanceCheck, imageCheck, shellCheck, brokerCheck, sshdCheck, dockerGroupCheck, homesCheck, addressesCheck, clustersCheck, shippingCheck]

export interface Report { lines: string[], problems: number, warnings: number }

export async function runDoctor (ctx: DoctorContext, checks: readonly Check[] = CHECKS, opts: { quiet?: boolean } = {}): Promise<Report> {
  const lines: string[] = []
  let count = 0
  let warned = 0
  for (const check of checks) {
    let finding: Finding
    try {
      finding = await check.run(ctx)
    } catch (err) {
      finding = { status: 'problems', problems: [{ problem: `the check itself failed: ${(err as Error).message}`, fix: 'see the message; run doctor as root' }] }
    }
    if (finding.status === 'problems') {
      count += finding.problems.length
      for (const p of finding.problems) lines.push(`PROBLEM ${check.name}: ${oneLine(p.problem)} -- fix: ${oneLine(p.fix)}`)
    } else if (finding.status === 'warnings') {
      warned += finding.warnings.length
      for (const w of finding.warnings) lines.push(`WARNING ${check.name}: ${oneLine(w.problem)} -- fix: ${oneLine(w.fix)}`)
    } else if (opts.quiet !== true) {
      lines.push(`${finding.status === 'ok' ? 'ok' : 'skipped'} ${check.name}: ${oneLine(finding.detail)}`)
    }
  }
  const also = warned === 0 ? '' : `, ${warned} warning${warned === 1 ? '' : 's'}`
  lines.push(`${count === 0 ? 'doctor: no problems' : `doctor: ${count} problem${count === 1 ? '' : 's'}`}${also}`)
  return { lines, problems: count, warnings: warned }
}

function oneLine (s: string): string {
  return s.replace(/\s*\n\s*/g, ' ')
}
