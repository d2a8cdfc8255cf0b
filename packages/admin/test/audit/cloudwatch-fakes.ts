// A fake of the narrow CloudWatch Logs interface (logs-api.ts) for the unit tests: a
// group's events, served in pages of `limit` with a nextToken, and failures a test
// queues up, answered in order before the group's pages.
import { LogsCallError, type FilterQuery, type LogEvent, type LogsApi, type LogsPage } from '../../src/audit/logs-api.ts'

export interface FakeLogs extends LogsApi {
  calls: FilterQuery[]
  failures: LogsCallError[]
}

export function fakeLogs (groups: Record<string, LogEvent[]>): FakeLogs {
  const fake: FakeLogs = {
    calls: [],
    failures: [],
    async filterLogEvents (q: FilterQuery): Promise<LogsPage> {
      fake.calls.push(q)
      const failure = fake.failures.shift()
      if (failure !== undefined) throw failure
      const events = groups[q.logGroupName]
      if (events === undefined) throw new LogsCallError('ResourceNotFoundException', 'The specified log group does not exist.', 400)
      const from = q.nextToken === undefined ? 0 : Number(q.nextToken)
      const page = events.slice(from, from + q.limit)
      return { events: page, ...(from + q.limit < events.length ? { nextToken: String(from + q.limit) } : {}) }
    }
  }
  return fake
}

export const throttled = (): LogsCallError => new LogsCallError('ThrottlingException', 'Rate exceeded', 400)
export const denied = (): LogsCallError => new LogsCallError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/bastion-host/i-0 is not authorized to perform: logs:FilterLogEvents', 400)

let id = 0
export function logEvent (stream: string, value: object | string, timestamp = 1_764_187_200_000): LogEvent {
  return { eventId: String(++id), timestamp, logStreamName: stream, message: typeof value === 'string' ? value : JSON.stringify(value) }
}
