// Step `iptables`: the metadata proxy's host side. Its accounts (the system user it runs
// as, the group bastion-imds; see ../host-guard.ts), its credential log, owned by it, and
// its fail-closed IMDS rules: for containers, and the host guard that keeps every other
// host process from IMDS. The rules go through the proxy's own idempotent install and
// repair (the same code as `bastion-metadataproxy iptables install`, the
// bastion-imds-firewall unit and the running proxy's check), so there is one definition.
import { checkRules, installRules } from '@bastion/metadataproxy'
import { runOk } from '../exec.ts'
import { accountActions, auditFileActions, guardAccounts, guardedRuleOptions } from '../host-guard.ts'
import type { Step } from '../context.ts'

const done = (what: string): string => what.replace(/^create/, 'created').replace(/^remove/, 'removed').replace(/^give/, 'gave')

export const iptablesStep: Step = {
  name: 'iptables',
  summary: "the metadata proxy's system user and the group bastion-imds, its credential log, and its fail-closed IMDS rules (containers, and the host guard)",
  async plan (ctx) {
    const found = await guardAccounts(ctx.exec)
    const accounts = accountActions(found)
    const files = await auditFileActions(ctx.config, ctx.paths.root, ctx.exec)
    const { missing, bypassed, foreign } = await checkRules(ctx.iptables, guardedRuleOptions(ctx.config, found, accounts.length > 0))
    return [...accounts.map((a) => a.what), ...files.map((a) => a.what), ...missing.map((m) => `add ${m}`), ...bypassed.map((m) => `move back first: ${m}`), ...foreign.map((m) => `remove: ${m}`)]
  },
  async apply (ctx) {
    const changes: string[] = []
    for (const a of accountActions(await guardAccounts(ctx.exec))) {
      await runOk(ctx.exec, a.cmd, a.args)
      changes.push(done(a.what))
    }
    for (const a of await auditFileActions(ctx.config, ctx.paths.root, ctx.exec)) {
      await runOk(ctx.exec, a.cmd, a.args)
      changes.push(done(a.what))
    }
    const { changed } = await installRules(ctx.iptables, guardedRuleOptions(ctx.config, await guardAccounts(ctx.exec)))
    return [...changes, ...changed]
  }
}
