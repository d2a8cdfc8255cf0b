// Builds the AWS SDK v3 clients: the retry strategy meets throttling with backoff
// (adaptive: it also slows the client down under sustained throttling), and a
// middleware counts every request a command sends (each page of a paginator is one).
import type { IAMClient } from '@aws-sdk/client-iam'
import type { EKSClient } from '@aws-sdk/client-eks'
import type { IdentitystoreClient } from '@aws-sdk/client-identitystore'
import type { Meter } from '../reconcile/meter.ts'
import { awsCallKind } from '../reconcile/meter.ts'

export interface AwsClientSettings {
  region: string
  endpoint?: string
  maxAttempts: number
  timeoutMs: number
}

export function clientConfig (s: AwsClientSettings): Record<string, unknown> {
  return {
    region: s.region,
    maxAttempts: s.maxAttempts,
    retryMode: 'adaptive',
    requestHandler: { requestTimeout: s.timeoutMs, connectionTimeout: s.timeoutMs },
    ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {})
  }
}

// Counts one call per command sent (retries of it are the SDK's business, not new calls).
export function countCalls (client: IAMClient | EKSClient | IdentitystoreClient, service: string, meter: Meter): void {
  (client as IAMClient).middlewareStack.add((next, context) => async (args) => {
    const op = (context.commandName ?? 'Unknown').replace(/Command$/, '')
    meter.count(`${service}:${op}`, awsCallKind(op))
    return next(args)
  }, { step: 'initialize', name: 'bastionCountCalls' })
}
