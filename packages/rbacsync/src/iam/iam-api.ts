// Our narrow interface to IAM (IamPort) and its AWS SDK v3 adapter. Every list call
// goes through the SDK's paginator, so a list is complete or the call throws.
import {
  IAMClient, paginateGetGroup, paginateListGroups, paginateListRoles,
  CreateGroupCommand, DeleteGroupCommand, CreateRoleCommand, DeleteRoleCommand,
  UpdateAssumeRolePolicyCommand, UpdateRoleCommand, GetAccountSummaryCommand
} from '@aws-sdk/client-iam'
import type { Meter } from '../reconcile/meter.ts'
import { clientConfig, countCalls, type AwsClientSettings } from './aws-clients.ts'

export interface IamGroup {
  name: string
  path: string
  // When it was made (ISO 8601), when IAM says.
  created?: string
}

export interface IamRole {
  name: string
  path: string
  arn: string
  // As IAM returns it: JSON, URL-encoded by the real service.
  trustPolicy: string
  maxSessionDuration: number
}

export interface NewRole {
  name: string
  path: string
  trustPolicy: string
  maxSessionDuration: number
  description: string
  tags: Array<{ Key: string, Value: string }>
}

// The account's IAM groups, on every path, and how many it may have.
export interface GroupQuota {
  groups: number
  quota: number
}

export interface IamPort {
  listGroups (pathPrefix: string): Promise<IamGroup[]>
  groupQuota (): Promise<GroupQuota>
  groupMembers (group: string): Promise<string[]>
  listRoles (pathPrefix: string): Promise<IamRole[]>
  createGroup (name: string, path: string): Promise<void>
  deleteGroup (name: string): Promise<void>
  createRole (role: NewRole): Promise<void>
  updateTrustPolicy (name: string, policy: string): Promise<void>
  updateMaxSessionDuration (name: string, seconds: number): Promise<void>
  deleteRole (name: string): Promise<void>
}

export function iamClient (settings: AwsClientSettings, meter: Meter): IAMClient {
  const client = new IAMClient(clientConfig(settings))
  countCalls(client, 'iam', meter)
  return client
}

export function iamApi (client: IAMClient, pageSize: number): IamPort {
  const paging = { client, pageSize }
  return {
    async listGroups (pathPrefix) {
      const out: IamGroup[] = []
      for await (const page of paginateListGroups(paging, { PathPrefix: pathPrefix })) {
        for (const g of page.Groups ?? []) out.push({ name: g.GroupName ?? '', path: g.Path ?? '/', ...(g.CreateDate instanceof Date ? { created: g.CreateDate.toISOString() } : {}) })
      }
      return out
    },
    async groupMembers (group) {
      const out: string[] = []
      for await (const page of paginateGetGroup(paging, { GroupName: group })) {
        for (const u of page.Users ?? []) if (u.UserName !== undefined) out.push(u.UserName)
      }
      return out
    },
    async listRoles (pathPrefix) {
      const out: IamRole[] = []
      for await (const page of paginateListRoles(paging, { PathPrefix: pathPrefix })) {
        for (const r of page.Roles ?? []) {
          out.push({ name: r.RoleName ?? '', path: r.Path ?? '/', arn: r.Arn ?? '', trustPolicy: r.AssumeRolePolicyDocument ?? '', maxSessionDuration: r.MaxSessionDuration ?? 3600 })
        }
      }
      return out
    },
    async groupQuota () {
      const m = (await client.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {}
      if (m.Groups === undefined || m.GroupsQuota === undefined) throw new Error('GetAccountSummary answered without Groups and GroupsQuota')
      return { groups: m.Groups, quota: m.GroupsQuota }
    },
    async createGroup (name, path) {
      await client.send(new CreateGroupCommand({ GroupName: name, Path: path }))
    },
    async deleteGroup (name) {
      await client.send(new DeleteGroupCommand({ GroupName: name }))
    },
    async createRole (role) {
      await client.send(new CreateRoleCommand({
        RoleName: role.name,
        Path: role.path,
        AssumeRolePolicyDocument: role.trustPolicy,
        MaxSessionDuration: role.maxSessionDuration,
        Description: role.description,
        Tags: role.tags
      }))
    },
    async updateTrustPolicy (name, policy) {
      await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: policy }))
    },
    async updateMaxSessionDuration (name, seconds) {
      await client.send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: seconds }))
    },
    async deleteRole (name) {
      await client.send(new DeleteRoleCommand({ RoleName: name }))
    }
  }
}
