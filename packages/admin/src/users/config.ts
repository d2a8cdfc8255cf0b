// The `users` section, and what `bastion users sync` reads from the others: the shell's
// allowed group and login shell, the AWS region. The IAM path and the identity store
// are rbacsync's (rbacsync.iam.path, rbacsync.identityCenter), repeated here because a
// bastion host's config need not carry rbacsync's section when rbacsync runs as a Lambda.
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import { AwsSection, ConfigProblem, parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '@bastion/shell'
import { IdentityCenterSection } from '@bastion/rbacsync'

export const UsersSection = Type.Object({
  source: Type.Union([Type.Literal('iam'), Type.Literal('identity-center'), Type.Literal('none')], { default: 'iam', description: "Where the bastion's accounts come from: iam (the members of rbacsync's access groups, with their IAM SSH keys), identity-center (the identity store's access groups, with keys from keys.directory) or none (accounts kept outside IAM: Chef, LDAP)" }),
  instance: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: "A name for this bastion when several share one host, as the local bastion and the test bed do: its accounts carry the GECOS 'bastion users sync (NAME)' and its keys cache is /var/lib/bastion/keys-NAME, so that each sync touches its own accounts alone. Leave it out on a bastion host: one host, one sync" })),
  loginShell: Type.String({ default: '/usr/local/bin/bastion-shell', pattern: '^/', description: 'Login shell of the accounts it makes: bastion-shell as `bastion setup shell` installs it' }),
  iam: Type.Object({
    path: Type.String({ default: '/k8s-access/', pattern: '^/([\\x21-\\x7E]+/)?$', maxLength: 512, description: "IAM path of rbacsync's access groups (rbacsync.iam.path): their members are the bastion's people" }),
    endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: "IAM endpoint; default: the partition's. Point it at an emulator in tests" })),
    pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Items per IAM list page (MaxItems)' }),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 15000, description: 'Timeout of one IAM request' })
  }, { additionalProperties: false, default: {} }),
  identityCenter: IdentityCenterSection,
  keys: Type.Object({
    directory: Type.String({ default: '/var/lib/bastion/ssh-keys', pattern: '^/', description: 'With identity-center: one file per person, named by their account name, with their public keys (authorized_keys lines), root\'s and writable by root alone; filled by an admin or an S3 sync' }),
    maxAgeSeconds: Type.Integer({ minimum: 60, maximum: 86400, default: 900, description: "How long the keys cache answers after the last complete read of IAM: it rides out an IAM outage this long, then refuses every key" })
  }, { additionalProperties: false, default: {} })
}, { additionalProperties: false, default: {} })

export const UsersConfigSchema = Type.Object({
  ...ShellConfigSchema.properties,
  aws: AwsSection,
  users: UsersSection
}, { additionalProperties: false })

export type UsersConfig = Static<typeof UsersConfigSchema>

export async function loadUsersConfig (path: string): Promise<Readonly<UsersConfig>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigProblem(path, [`cannot read config file ${path}: ${(err as Error).message}`], true, err)
  }
  return parseConfigText(UsersConfigSchema, text, path, crossChecks)
}

function crossChecks (config: UsersConfig): string[] {
  return config.users.source === 'identity-center' && config.users.identityCenter.identityStoreId === undefined
    ? ['users.identityCenter.identityStoreId: required when users.source is identity-center']
    : []
}
