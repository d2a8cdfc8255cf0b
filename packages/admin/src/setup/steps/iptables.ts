// Step `iptables`: the metadata proxy's fail-closed IMDS rules, through the proxy's own
// idempotent install (the same code as `bastion-metadataproxy iptables install` and the
// bastion-imds-firewall unit), so there is one definition of the rules.
import { checkRules, installRules, ruleOptions } from '@bastion/metadataproxy'
import type { Step } from '../context.ts'

export const iptablesStep: Step = {
  name: 'iptables',
  summary: "the metadata proxy's fail-closed IMDS rules (DNAT to the proxy, REJECT otherwise)",
  async plan (ctx) {
    const { missing } = await checkRules(ctx.iptables, ruleOptions(ctx.config.proxy))
    return missing.map((m) => `add ${m}`)
  },
  async apply (ctx) {
    const { changed } = await installRules(ctx.iptables, ruleOptions(ctx.config.proxy))
    return changed.map((c) => `added ${c}`)
  }
}
