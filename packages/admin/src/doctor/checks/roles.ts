// Roles agree: the metadata proxy asks STS for the roles rbacsync makes. rbacsync puts
// each person's role at <rbacsync.iam.path><name>; the proxy assumes
// <metadataproxy.credentials.rolePrefix><IAM_ROLE>. Unless the prefix is that path
// without its leading slash, every credential request is refused by STS. The path is
// read as this config file gives it (rbacsync's default when it does not), the way the
// rbacsync CLI on this host reads it; test/doctor/checks/roles.test.ts holds the
// default to rbacsync's own schema.
import { Type } from '@sinclair/typebox'
import { parseConfigText } from '@bastion/config'
import { ok, problems, type Check } from '../check.ts'

export const RBACSYNC_PATH_DEFAULT = '/k8s-access/'

const open = { additionalProperties: true, default: {} } as const
const RbacsyncPath = Type.Object({
  rbacsync: Type.Object({ iam: Type.Object({ path: Type.String({ default: RBACSYNC_PATH_DEFAULT }) }, open) }, open)
}, { additionalProperties: true })

// The rolePrefix that makes the proxy ask for exactly the roles under `path`.
export function prefixFor (path: string): string {
  return path.replace(/^\//, '')
}

export const rolesCheck: Check = {
  name: 'roles',
  summary: "the metadata proxy's rolePrefix is rbacsync's IAM path, so it assumes the roles rbacsync makes",
  async run (ctx) {
    const path = parseConfigText(RbacsyncPath, ctx.config.text, ctx.config.path).rbacsync.iam.path
    const prefix = ctx.config.proxy.metadataproxy.credentials.rolePrefix
    const want = prefixFor(path)
    if (prefix === want) return ok(`the proxy assumes <${path}><role>, the roles rbacsync makes (rolePrefix ${JSON.stringify(prefix)})`)
    return problems([{
      problem: `metadataproxy.credentials.rolePrefix is ${JSON.stringify(prefix)}, but rbacsync makes the per-user roles under the IAM path ${path} (rbacsync.iam.path), so STS refuses every credential request for a role rbacsync made`,
      fix: `set metadataproxy.credentials.rolePrefix to ${JSON.stringify(want)} (rbacsync.iam.path without its leading slash), or change rbacsync.iam.path and every rbacsync deployment with it; then systemctl restart bastion-metadataproxy`
    }])
  }
}
