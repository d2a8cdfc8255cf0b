// iptables rules present: the proxy's fail-closed IMDS rules, as the proxy itself checks
// them before it serves.
import { checkRules, ruleOptions } from '@bastion/metadataproxy'
import { ok, problems, type Check } from '../check.ts'

export const iptablesCheck: Check = {
  name: 'iptables',
  summary: "the metadata proxy's fail-closed IMDS rules are in place",
  async run (ctx) {
    const prefix = ctx.config.proxy.metadataproxy.iptables.chainPrefix
    let result
    try {
      result = await checkRules(ctx.iptables, ruleOptions(ctx.config.proxy))
    } catch (err) {
      return problems([{ problem: `iptables could not be read (${(err as Error).message})`, fix: 'run doctor as root, on a host with iptables' }])
    }
    if (result.ok) return ok(`all fail-closed IMDS rules (${prefix}) are in place`)
    return problems([{
      problem: `${result.missing.length} fail-closed IMDS rule(s) missing, so containers may reach the host's IMDS or get none: ${result.missing.join('; ')}`,
      fix: 'bastion setup iptables (or systemctl restart bastion-imds-firewall)'
    }])
  }
}
