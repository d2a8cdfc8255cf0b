// Step `iptables`: the metadata proxy's fail-closed IMDS rules, through the proxy's own
// idempotent install and repair (the same code as `bastion-metadataproxy iptables install`,
// the bastion-imds-firewall unit and the running proxy's check), so there is one definition
// of the rules.
import { checkRules, installRules, ruleOptions } from '@bastion/metadataproxy'
import type { Step } from '../context.ts'

export const iptablesStep: Step = {
  name: 'iptables',
  summary: "the metadata proxy's fail-closed IMDS rules (DNAT to the proxy, REJECT otherwise)",
  async plan (ctx) {
    const { missing, bypassed, foreign } = await checkRules(ctx.iptables, ruleOptions(ctx.config.proxy))
    return [...missing.map((m) => `add ${m}`), ...bypassed.map((m) => `move back first: ${m}`), ...foreign.map((m) => `remove: ${m}`)]
  },
  async apply (ctx) {
    return (await installRules(ctx.iptables, ruleOptions(ctx.config.proxy))).changed
  }
}
