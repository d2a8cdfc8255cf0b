// A person's SSH keys from IAM (users.source: iam): their active SSH public keys, the
// ones `aws iam upload-ssh-public-key` adds (and CodeCommit uses). Every list goes
// through the SDK's paginator, so a list is complete or the call throws. The groups and
// their members come from rbacsync's shared reader (iamPeople). The integration suite
// runs it against moto's IAM.
import { IAMClient, GetSSHPublicKeyCommand, paginateListSSHPublicKeys } from '@aws-sdk/client-iam'
import type { KeySource } from './people.ts'

export function iamKeys (client: IAMClient, pageSize: number): KeySource {
  const paging = { client, pageSize }
  return {
    remembers: true,
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
