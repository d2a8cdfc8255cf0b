// Our narrow interface to the Identity Store API of IAM Identity Center, and its AWS
// SDK v3 adapter: the three reads rbacsync and `bastion users sync` need, and nothing
// that writes. Lists go through the SDK's paginators, so a list is complete or throws.
import {
  IdentitystoreClient, DescribeUserCommand, paginateListGroupMemberships, paginateListGroups
} from '@aws-sdk/client-identitystore'
import type { Meter } from '../reconcile/meter.ts'
import { clientConfig, countCalls, type AwsClientSettings } from '../iam/aws-clients.ts'

export interface StoreGroup {
  id: string
  displayName: string
  created?: string
}

export interface IdentityStorePort {
  listGroups (): Promise<StoreGroup[]>
  // The user ids of a group's members (members that are not users are left out).
  groupMembers (groupId: string): Promise<string[]>
  // The user's UserName.
  userName (userId: string): Promise<string>
}

export function identityStoreClient (settings: AwsClientSettings, meter: Meter): IdentitystoreClient {
  const client = new IdentitystoreClient(clientConfig(settings))
  countCalls(client, 'identitystore', meter)
  return client
}

export function identityStoreApi (client: IdentitystoreClient, storeId: string, pageSize: number): IdentityStorePort {
  const paging = { client, pageSize: Math.min(pageSize, 100) }
  return {
    async listGroups () {
      const out: StoreGroup[] = []
      for await (const page of paginateListGroups(paging, { IdentityStoreId: storeId })) {
        for (const g of page.Groups ?? []) {
          if (g.DisplayName === undefined || g.GroupId === undefined) continue
          out.push({ id: g.GroupId, displayName: g.DisplayName, ...(g.CreatedAt instanceof Date ? { created: g.CreatedAt.toISOString() } : {}) })
        }
      }
      return out
    },
    async groupMembers (groupId) {
      const out: string[] = []
      for await (const page of paginateListGroupMemberships(paging, { IdentityStoreId: storeId, GroupId: groupId })) {
        for (const m of page.GroupMemberships ?? []) if (m.MemberId?.UserId !== undefined) out.push(m.MemberId.UserId)
      }
      return out
    },
    async userName (userId) {
      const r = await client.send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId: userId }))
      if (r.UserName === undefined) throw new Error(`DescribeUser of ${userId} answered without a UserName`)
      return r.UserName
    }
  }
}
