// The host guard's accounts (metadataproxy.iptables.hostGuard): the proxy's own system
// user, which its unit runs as and which alone reaches IMDS, and the group bastion-imds,
// which nobody is a member of and which the suite's root commands take on. Setup makes
// both; setup and doctor build the proxy's rule set with their ids.
import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { anyIdLookup, IMDS_GROUP, PROXY_USER, ruleOptions, type IdLookup, type RuleOptions } from '@bastion/metadataproxy'
import { account, group } from './accounts.ts'
import type { Exec } from './exec.ts'
import type { HostConfig } from './config.ts'
import type { Action } from './steps/users.ts'

export interface GuardAccounts { uid?: number, gid?: number, members: string[] }

export async function guardAccounts (exec: Exec): Promise<GuardAccounts> {
  const user = await account(exec, PROXY_USER)
  const g = await group(exec, IMDS_GROUP)
  return { ...(user === undefined ? {} : { uid: Number(user.uid) }), ...(g === undefined ? {} : { gid: Number(g.gid) }), members: g?.members ?? [] }
}

export function lookupOf (found: GuardAccounts): IdLookup {
  return (db) => db === 'passwd' ? found.uid : found.gid
}

// The proxy's rules with the accounts' real ids. `planned`: accounts setup is about to
// make stand in with the proxy's placeholder id (anyIdLookup), which no rule description shows.
export function guardedRuleOptions (config: HostConfig, found: GuardAccounts, planned = false): RuleOptions {
  const lookup = lookupOf(found)
  return ruleOptions(config.proxy, undefined, planned ? (db, name) => lookup(db, name) ?? anyIdLookup(db, name) : lookup)
}

// What makes the accounts, in order: the proxy's user (with its own group) and the
// IMDS group, both system accounts without a home or a login.
export function accountActions (found: GuardAccounts): Action[] {
  const todo: Action[] = []
  if (found.gid === undefined) todo.push({ what: `create system group ${IMDS_GROUP} (the suite's root commands take it on to reach IMDS; nobody is a member)`, cmd: 'groupadd', args: ['--system', IMDS_GROUP] })
  if (found.uid === undefined) todo.push({ what: `create system user ${PROXY_USER} (the metadata proxy runs as it, the one account that reaches IMDS)`, cmd: 'useradd', args: ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'bastion metadata proxy', PROXY_USER] })
  // A member would reach IMDS from any of their processes (sg, newgrp).
  for (const m of found.members) todo.push({ what: `remove ${m} from group ${IMDS_GROUP} (a member reaches the instance role's credentials)`, cmd: 'gpasswd', args: ['-d', m, IMDS_GROUP] })
  return todo
}

// The proxy writes its credential log (metadataproxy.log.auditFile) as its own user, so
// the file is made for it; its directory stays root's.
export async function auditFileActions (config: HostConfig, root: string, exec: Exec): Promise<Action[]> {
  const file = config.proxy.metadataproxy.log.auditFile
  if (file === undefined) return []
  const path = join(root, file)
  const todo: Action[] = []
  const dir = await stat(dirname(path)).catch(() => undefined)
  if (dir === undefined) todo.push({ what: `create directory ${dirname(path)}`, cmd: 'install', args: ['-d', '-m', '0755', dirname(path)] })
  const st = await stat(path).catch(() => undefined)
  if (st === undefined) {
    todo.push({ what: `create the proxy's credential log ${path}, owned by ${PROXY_USER}`, cmd: 'install', args: ['-m', '0640', '-o', PROXY_USER, '-g', PROXY_USER, '/dev/null', path] })
    return todo
  }
  const owner = await account(exec, PROXY_USER)
  if (owner === undefined || String(st.uid) !== owner.uid) {
    todo.push({ what: `give the proxy's credential log ${path} to ${PROXY_USER}`, cmd: 'chown', args: [`${PROXY_USER}:${PROXY_USER}`, path] })
  }
  return todo
}
