// iptables rules present and first: the proxy's fail-closed IMDS rules, as the proxy
// itself checks them: none missing, none bypassed by a rule ahead, nothing foreign in our chains.
import { checkRules } from '@bastion/metadataproxy'
import { guardAccounts, guardedRuleOptions } from '../../setup/host-guard.ts'
import { ok, problems, type Check } from '../check.ts'

export const iptablesCheck: Check = {
  name: 'iptables',
  summary: "the metadata proxy's fail-closed IMDS rules are in place",
  async run (ctx) {
    const prefix = ctx.config.proxy.metadataproxy.iptables.chainPrefix
    let result
    try {
      // Missing accounts are the host-guard check's to report; the rules are checked anyway.
      result = await checkRules(ctx.iptables, guardedRuleOptions(ctx.config, await guardAccounts(ctx.exec), true))
    } catch (err) {
      return problems([{ problem: `iptables could not be read (${(err as Error).message})`, fix: 'run doctor as root, on a host with iptables' }])
    }
    if (result.ok) return ok(`all fail-closed IMDS rules (${prefix}) are in place and first`)
    const fix = 'bastion setup iptables (or systemctl restart bastion-imds-firewall); the running proxy repairs them within metadataproxy.iptables.checkSeconds, so drift that stays means it is down or cannot'
    const found = []
    if (result.missing.length > 0) found.push({ problem: `${result.missing.length} fail-closed IMDS rule(s) missing, so containers may reach the host's IMDS or get none: ${result.missing.join('; ')}`, fix })
    if (result.bypassed.length > 0) found.push({ problem: `${result.bypassed.length} fail-closed IMDS rule(s) bypassed by a rule ahead that may accept the traffic: ${result.bypassed.join('; ')}`, fix })
    if (result.foreign.length > 0) found.push({ problem: `our IMDS chains hold rules that are not ours: ${result.foreign.join('; ')}`, fix })
    return problems(found)
  }
}
