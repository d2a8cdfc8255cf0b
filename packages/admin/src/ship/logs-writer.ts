// The two CloudWatch Logs calls `bastion ship` makes, PutLogEvents and CreateLogStream,
// behind a narrow interface so that unit tests give the shipper a fake. The real one
// talks to the region's endpoint (or ship.endpoint, an emulator in tests) with the
// credentials of the default provider chain (the host's instance role), one attempt per
// call (the shipper retries, with backoff) and a timeout. Errors keep AWS's name and
// status and nothing else: the shipper logs them, and they hold no secret.
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { LogsCallError } from '../audit/logs-api.ts'
import type { LogEventIn } from './batch.ts'

export interface Rejected {
  tooNew: number
  tooOld: number
}

export interface LogsWriter {
  putLogEvents (group: string, stream: string, events: LogEventIn[]): Promise<Rejected>
  createLogStream (group: string, stream: string): Promise<void>
}

export const CALL_TIMEOUT_MS = 15_000

function callError (err: unknown): LogsCallError {
  const e = err as Error & { code?: string, $metadata?: { httpStatusCode?: number } }
  // A connection refused or reset comes with the errno's code, not a service name.
  const code = typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : e.name
  return new LogsCallError(code, e.message, e.$metadata?.httpStatusCode)
}

// In-flight calls are never aborted: on SIGTERM the shipper lets the call end, then
// saves the cursor.
export function awsWriter (opts: { region: string, endpoint?: string | undefined }): LogsWriter {
  const client = new CloudWatchLogsClient({
    region: opts.region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: CALL_TIMEOUT_MS, requestTimeout: CALL_TIMEOUT_MS, throwOnRequestTimeout: true },
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {})
  })
  return {
    async putLogEvents (group, stream, events) {
      try {
        const out = await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }))
        const r = out.rejectedLogEventsInfo
        const n = events.length
        // Indexes: events before tooOldLogEventEndIndex (or expired's) and from
        // tooNewLogEventStartIndex on were refused.
        const tooOld = Math.max(r?.tooOldLogEventEndIndex ?? 0, r?.expiredLogEventEndIndex ?? 0)
        const tooNew = r?.tooNewLogEventStartIndex !== undefined ? n - r.tooNewLogEventStartIndex : 0
        return { tooNew, tooOld: Math.min(tooOld, n) }
      } catch (err) {
        throw callError(err)
      }
    },
    async createLogStream (group, stream) {
      try {
        await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }))
      } catch (err) {
        const e = callError(err)
        if (e.code !== 'ResourceAlreadyExistsException') throw e
      }
    }
  }
}
