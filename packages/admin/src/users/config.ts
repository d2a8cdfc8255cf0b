// The `users` section, and what `bastion users sync` reads from the others: the shell's
// allowed group and login shell, the AWS region. The IAM path is rbacsync's (its
// rbacsync.iam.path), repeated here because a bastion host's config need not carry
// rbacsync's section when rbacsync runs as a Lambda.
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import { AwsSection, ConfigProblem, parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '@bastion/shell'

export const UsersSection = Type.Object({
  source: Type.Union([Type.Literal('iam'), Type.Literal('none')], { default: 'iam', description: "Where the bastion's accounts come from: iam (the members of rbacsync's access groups, with their IAM SSH keys) or none (accounts kept outside IAM: Chef, LDAP)" }),
  loginShell: Type.String({ default: '/usr/local/bin/bastion-shell', pattern: '^/', description: 'Login shell of the accounts it makes: bastion-shell as `bastion setup shell` installs it' }),
  iam: Type.Object({
    path: Type.String({ default: '/k8s-access/', pattern: '^/([\\x21-\\x7E]+/)?$', maxLength: 512, description: "IAM path of rbacsync's access groups (rbacsync.iam.path): their members are the bastion's people" }),
    endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: "IAM endpoint; default: the partition's. Point it at an emulator in tests" })),
    pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Items per IAM list page (MaxItems)' }),
    timeoutMs: Type.Integer({ minimum: 500, maximum: 120000, default: 15000, description: 'Timeout of one IAM request' })
  }, { additionalProperties: false, default: {} }),
  keys: Type.Object({
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
  return parseConfigText(UsersConfigSchema, text, path)
}
