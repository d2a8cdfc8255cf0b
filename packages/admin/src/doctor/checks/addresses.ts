// How many of the bastion network's addresses belong to a person: the login shell gives
// each person's container the same address every time, from a ledger under
// shell.stateDir, so the subnet bounds how many people one host can serve
// (docs/shell/README.md#one-address-per-person). Nearly full is a warning: once it is
// full, a new person's first login gets an address only from someone away for
// shell.addressHoldHours, and otherwise fails (BASTION_SHELL_NO_ADDRESS).
import { readdir } from 'node:fs/promises'
import { ledgerDir, poolOf } from '@bastion/shell'
import { ok, warnings, type Check } from '../check.ts'

// Past this share of the pool claimed, a warning.
export const NEARLY_FULL = 0.9

export function addressesCheckWith (list: (dir: string) => Promise<string[]>): Check {
  return {
    name: 'addresses',
    summary: 'the bastion network has addresses left for new people (shell.stateDir/addresses)',
    async run (ctx) {
      const { network, shell } = ctx.config.shell
      const dir = ledgerDir(ctx.config.shell)
      const pool = poolOf(network.subnet)
      const inPool = new Set(pool)
      const claimed = (await list(dir)).filter((f) => inPool.has(f)).length
      const detail = `${claimed} of the ${pool.length} addresses of network.subnet ${network.subnet} belong to a person (${dir})`
      if (claimed < pool.length * NEARLY_FULL) return ok(detail)
      return warnings([{
        problem: `${detail}: once all do, a new person's first login gets an address only from someone with no container and no session for shell.addressHoldHours (${shell.addressHoldHours} h), and otherwise fails with BASTION_SHELL_NO_ADDRESS`,
        fix: 'widen network.subnet (the network is then made anew: remove its containers first), or shorten shell.addressHoldHours; remove the claim files of people who will not come back (docs/shell/errors.md)'
      }])
    }
  }
}

// The ledger's files; none while no one has logged in yet.
export const addressesCheck = addressesCheckWith((dir) => readdir(dir).catch(() => []))
