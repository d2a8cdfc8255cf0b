// How an IAM Identity Center user name becomes the name of their per-user IAM role and
// Unix account: the part before the @ of an e-mail address, lowercased, with each dot
// made a dash (john.smith@example.com -> john-smith; JSmith -> jsmith). The result
// must be a Unix user name that IAM also takes as a role name: lowercase letters,
// digits, _ and -, at most 32, not starting with a digit or -. Anything else is
// reported and that person skipped, never mangled further (docs/admin/users.md).
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/

export type PersonName = { name: string } | { problem: string }

export function personNameFor (userName: string): PersonName {
  const at = userName.indexOf('@')
  const local = (at === -1 ? userName : userName.slice(0, at)).toLowerCase().replaceAll('.', '-')
  if (userName.indexOf('@', at + 1) !== -1 && at !== -1) return { problem: `${JSON.stringify(userName)} has more than one @` }
  if (!NAME.test(local)) return { problem: `${JSON.stringify(userName)} maps to ${JSON.stringify(local)}, which is not a valid role and Unix user name (lowercase letters, digits, _ and -, at most 32, not starting with a digit or -)` }
  return { name: local }
}
