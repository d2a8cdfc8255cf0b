// IamReader over the AWS SDK v3: every list goes through the SDK's paginator, so a list
// is complete or the call throws. The integration suite runs it against moto's IAM.
import {
  IAMClient, GetSSHPublicKeyCommand, paginateGetGroup, paginateListGroups, paginateListSSHPublicKeys
} from '@aws-sdk/client-iam'
import type { IamReader } from './people.ts'

export function iamReader (client: IAMClient, pageSize: number): IamReader {
  const paging = { client, pageSize }
  return {
    async groups (pathPrefix) {
      const out: Array<{ name: string, path: string }> = []
      for await (const page of paginateListGroups(paging, { PathPrefix: pathPrefix })) {
        for (const g of page.Groups ?? []) if (g.GroupName !== undefined) out.push({ name: g.GroupName, path: g.Path ?? '/' })
      }
      return out
    },
    async members (group) {
      const out: string[] = []
      for await (const page of paginateGetGroup(paging, { GroupName: group })) {
        for (const u of page.Users ?? []) if (u.UserName !== undefined) out.push(u.UserName)
      }
      return out
    },
    async activeKeys (user, known) {
      const out = new Map<string, string>()
      for await (const page of paginateListSSHPublicKeys(paging, { UserName: user })) {
        for (const k of page.SSHPublicKeys ?? []) {
          if (k.Status !== 'Active' || k.SSHPublicKeyId === undefined) continue
          const cached = known.get(k.SSHPublicKeyId)
          if (cached !== undefined) { out.set(k.SSHPublicKeyId, cached); continue }
          const r = await client.send(new GetSSHPublicKeyCommand({ UserName: user, SSHPublicKeyId: k.SSHPublicKeyId, Encoding: 'SSH' }))
          const body = r.SSHPublicKey?.SSHPublicKeyBody
          if (r.SSHPublicKey?.Status === 'Active' && body !== undefined) out.set(k.SSHPublicKeyId, body.trim())
        }
      }
      return out
    }
  }
}
