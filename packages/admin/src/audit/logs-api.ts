// The one CloudWatch Logs call `bastion audit` makes, FilterLogEvents, behind a narrow
// interface so that unit tests give the reader a fake. The real one talks to the
// region's endpoint (or audit.cloudwatch.endpoint, an emulator in tests) with the host's
// AWS credentials, one attempt per call (the reader retries, with backoff) and a timeout.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'

export interface LogEvent {
  eventId: string
  timestamp: number
  message: string
  logStreamName: string
}

export interface FilterQuery {
  region: string
  logGroupName: string
  logStreamNamePrefix?: string
  filterPattern: string
  startTime?: number
  endTime?: number
  limit: number
  nextToken?: string
}

export interface LogsPage {
  events: LogEvent[]
  nextToken?: string
}

// A failed call, as AWS names it: ThrottlingException, AccessDeniedException, ...
export class LogsCallError extends Error {
  readonly code: string
  readonly status: number | undefined
  constructor (code: string, message: string, status: number | undefined) {
    super(message)
    this.name = 'LogsCallError'
    this.code = code
    this.status = status
  }
}

export interface LogsApi {
  filterLogEvents (q: FilterQuery, signal: AbortSignal): Promise<LogsPage>
}

export function awsLogs (opts: { endpoint?: string | undefined, timeoutMs: number }): LogsApi {
  const clients = new Map<string, CloudWatchLogsClient>()
  const client = (region: string): CloudWatchLogsClient => {
    let c = clients.get(region)
    if (c === undefined) {
      c = new CloudWatchLogsClient({
        region,
        maxAttempts: 1,
        requestHandler: { connectionTimeout: opts.timeoutMs, requestTimeout: opts.timeoutMs, throwOnRequestTimeout: true },
        ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {})
      })
      clients.set(region, c)
    }
    return c
  }
  return {
    async filterLogEvents (q, signal) {
      const { region, ...input } = q
      try {
        const out = await client(region).send(new FilterLogEventsCommand(input), { abortSignal: signal })
        return {
          events: (out.events ?? []).map((e) => ({ eventId: e.eventId ?? '', timestamp: e.timestamp ?? 0, message: e.message ?? '', logStreamName: e.logStreamName ?? '' })),
          ...(out.nextToken !== undefined && out.nextToken !== null ? { nextToken: out.nextToken } : {})
        }
      } catch (err) {
        const e = err as Error & { $metadata?: { httpStatusCode?: number } }
        throw new LogsCallError(e.name, e.message, e.$metadata?.httpStatusCode)
      }
    }
  }
}
