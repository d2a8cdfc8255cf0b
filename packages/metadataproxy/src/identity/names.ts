// Validation of the names that end up in STS calls. IAM_ROLE comes from a container's
// environment and bastion.user from its labels: both are checked before any use.

// IAM role names: 1-64 of [\w+=,.@-]. No slash, so no path tricks and no ARNs.
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/
// RoleSessionName and SourceIdentity: 2-64 of the same set.
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/

export type NameCheck = { ok: true } | { ok: false; reason: string }

export function checkRoleName (prefix: string, role: string | undefined): NameCheck {
  if (role === undefined || role === '') return { ok: false, reason: 'IAM_ROLE is not set' }
  if (!ROLE_NAME.test(role)) return { ok: false, reason: 'IAM_ROLE is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)' }
  const name = prefix.slice(prefix.lastIndexOf('/') + 1) + role
  if (name.length > 64) return { ok: false, reason: `role name "${name.slice(0, 20)}..." with its prefix is longer than 64 characters` }
  return { ok: true }
}

export function checkSessionName (user: string | undefined): NameCheck {
  if (user === undefined || user === '') return { ok: false, reason: 'the bastion.user label is empty' }
  if (!SESSION_NAME.test(user)) return { ok: false, reason: 'bastion.user is not a valid STS session name (2-64 of letters, digits and +=,.@_-)' }
  if (user.toLowerCase().startsWith('aws:')) return { ok: false, reason: 'bastion.user may not start with "aws:"' }
  return { ok: true }
}

export function roleArn (partition: string, accountId: string, prefix: string, role: string): string {
  return `arn:${partition}:iam::${accountId}:role/${prefix}${role}`
}
