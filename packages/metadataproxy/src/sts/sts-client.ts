// The narrow STS interface the credential broker depends on, and the thin real
// adapter over @aws-sdk/client-sts. Unit tests replace the adapter with a fake.

import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts'

export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  expiration: Date
  obtainedAt: Date
}

export interface AssumeRoleInput {
  roleArn: string
  sessionName: string
  sourceIdentity: string
  durationSeconds: number
}

export interface AssumeRoleClient {
  assumeRole (input: AssumeRoleInput, signal: AbortSignal): Promise<Credentials>
}

// The three outcomes the broker treats differently: refuse and negative-cache,
// or back off and retry.
export type StsErrorKind = 'access-denied' | 'throttled' | 'unavailable'

export class StsError extends Error {
  readonly kind: StsErrorKind
  constructor (kind: StsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StsError'
    this.kind = kind
  }
}

// What the host itself signs STS calls with; the SDK's default chain when absent.
export type StsCallerCredentials = NonNullable<STSClientConfig['credentials']>

export interface StsClientOptions {
  region: string
  endpoint?: string
  timeoutMs: number // per HTTP attempt, connection and response
  maxAttempts?: number // SDK standard retry mode, default 3
  credentials?: StsCallerCredentials
}

// The role itself refuses, or the request can never succeed as sent: retrying
// soon would only produce the same answer.
const refusals = new Set([
  'AccessDenied', 'AccessDeniedException', 'RegionDisabledException',
  'MalformedPolicyDocument', 'MalformedPolicyDocumentException',
  'PackedPolicyTooLarge', 'PackedPolicyTooLargeException', 'ValidationError'
])

const throttles = new Set([
  'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'
])

// Maps whatever the SDK threw to a kind. The SDK's messages carry no secrets,
// but only the error name is copied into ours; the original stays as `cause`.
export function toStsError (err: unknown): StsError {
  if (err instanceof StsError) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown, $metadata?: { httpStatusCode?: number }, $retryable?: { throttling?: boolean }
  }
  const name = typeof e.name === 'string' ? e.name : 'UnknownError'
  if (refusals.has(name)) return new StsError('access-denied', `STS refused AssumeRole: ${name}`, { cause: err })
  if (throttles.has(name) || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429) {
    return new StsError('throttled', `STS throttled AssumeRole: ${name}`, { cause: err })
  }
  return new StsError('unavailable', `STS AssumeRole failed: ${name}`, { cause: err })
}

// The real adapter also owns the SDK's keep-alive sockets, hence close().
export interface StsClient extends AssumeRoleClient {
  close (): void
}

export function createStsClient (opts: StsClientOptions): StsClient {
  const config: STSClientConfig = {
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? 3,
    retryMode: 'standard',
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
    requestHandler: { connectionTimeout: opts.timeoutMs, requestTimeout: opts.timeoutMs, throwOnRequestTimeout: true }
  }
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint
  if (opts.credentials !== undefined) config.credentials = opts.credentials
  const sts = new STSClient(config)

  return {
    close: () => { sts.destroy() },
    async assumeRole (input, signal) {
      let out
      try {
        out = await sts.send(new AssumeRoleCommand({
          RoleArn: input.roleArn,
          RoleSessionName: input.sessionName,
          SourceIdentity: input.sourceIdentity,
          DurationSeconds: input.durationSeconds
        }), { abortSignal: signal })
      } catch (err) {
        throw toStsError(err)
      }
      const obtainedAt = new Date()
      const c = out.Credentials
      if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined ||
          c.SessionToken === undefined || !(c.Expiration instanceof Date) ||
          Number.isNaN(c.Expiration.getTime())) {
        throw new StsError('unavailable', 'STS AssumeRole response lacks credentials')
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
        obtainedAt
      }
    }
  }
}
