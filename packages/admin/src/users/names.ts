// How a person's IAM user name becomes their Unix account name: the same name, as
// rbacsync names their per-user role after it (so the shell's default role, the
// username, is that role), when useradd takes it and no system account could be
// mistaken for it. Anything else is reported and the person skipped, never mangled.
const UNIX_NAME = /^[a-z_][a-z0-9_-]{0,31}$/

// Names a person must never get, whether or not the account exists on this host:
// Debian's base accounts, the daemons a bastion runs, and the usual cloud logins.
const RESERVED = new Set([
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy',
  'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'sshd', 'messagebus', 'docker',
  'admin', 'ubuntu', 'debian', 'ec2-user', 'etcd', 'chef', 'operator', 'halt', 'shutdown'
])

export type NameVerdict = { name: string } | { problem: string }

export function unixNameFor (iamName: string): NameVerdict {
  if (!UNIX_NAME.test(iamName)) {
    return { problem: `IAM user ${JSON.stringify(iamName)} is not a valid Unix user name (lowercase letters, digits, _ and -, at most 32, not starting with a digit or -)` }
  }
  if (RESERVED.has(iamName) || iamName.startsWith('systemd-') || iamName.startsWith('bastion')) {
    return { problem: `IAM user ${JSON.stringify(iamName)} is named like a system account of this host` }
  }
  return { name: iamName }
}
