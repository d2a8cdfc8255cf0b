// EKS access entries as the identity mapping: one STANDARD entry per user's role, with
// the static username and our tag. Listing returns only principal ARNs, so ownership
// for pruning is our IAM path in the ARN (access entries keep the path, unlike
// aws-auth), confirmed by our tag with one DescribeAccessEntry just before a delete.
// moto has no access entries: this adapter is exercised by unit tests with a fake only.
import {
  EKSClient, paginateListAccessEntries, CreateAccessEntryCommand, DeleteAccessEntryCommand, DescribeAccessEntryCommand
} from '@aws-sdk/client-eks'
import type { Meter } from '../reconcile/meter.ts'
import { clientConfig, countCalls, type AwsClientSettings } from '../iam/aws-clients.ts'

export interface AccessEntry {
  principalArn: string
  username?: string
  tags: Record<string, string>
}

export interface AccessEntriesPort {
  list (cluster: string): Promise<string[]>
  describe (cluster: string, principalArn: string): Promise<AccessEntry>
  create (cluster: string, entry: AccessEntry & { username: string }): Promise<void>
  remove (cluster: string, principalArn: string): Promise<void>
}

export function accessEntriesApi (client: EKSClient, pageSize: number): AccessEntriesPort {
  return {
    async list (cluster) {
      const out: string[] = []
      for await (const page of paginateListAccessEntries({ client, pageSize }, { clusterName: cluster })) out.push(...(page.accessEntries ?? []))
      return out
    },
    async describe (cluster, principalArn) {
      const res = await client.send(new DescribeAccessEntryCommand({ clusterName: cluster, principalArn }))
      const e = res.accessEntry
      return { principalArn, ...(e?.username !== undefined ? { username: e.username } : {}), tags: e?.tags ?? {} }
    },
    async create (cluster, entry) {
      await client.send(new CreateAccessEntryCommand({ clusterName: cluster, principalArn: entry.principalArn, username: entry.username, type: 'STANDARD', tags: entry.tags }))
    },
    async remove (cluster, principalArn) {
      await client.send(new DeleteAccessEntryCommand({ clusterName: cluster, principalArn }))
    }
  }
}

export function eksClient (settings: AwsClientSettings, meter: Meter): EKSClient {
  const client = new EKSClient(clientConfig(settings))
  countCalls(client, 'eks', meter)
  return client
}
