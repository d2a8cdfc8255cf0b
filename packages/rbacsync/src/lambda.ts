// The AWS Lambda entry: runs one sync per invocation (the template schedules it). The
// config ships in the zip as bastion.yaml unless BASTION_CONFIG names another file.
// A run with problems throws after logging its report, so the invocation counts as an
// error (the template alarms on it); {"dryRun": true} as the event plans only.
import type { Context } from 'aws-lambda'
import { loadConfig } from './config/load.ts'
import type { RbacsyncConfig } from './config/schema.ts'
import { createLogger } from './log.ts'
import { syncOnce } from './main.ts'
import { reportJson } from './report.ts'

export const LAMBDA_CONFIG_PATH = '/var/task/bastion.yaml'

let cached: Promise<Readonly<RbacsyncConfig>> | undefined

export async function handler (event: unknown, context?: Pick<Context, 'awsRequestId'>): Promise<unknown> {
  cached ??= loadConfig(process.env.BASTION_CONFIG !== undefined && process.env.BASTION_CONFIG !== '' ? process.env.BASTION_CONFIG : LAMBDA_CONFIG_PATH)
  const config = await cached.catch((err: unknown) => { cached = undefined; throw err })
  const log = createLogger(config.rbacsync.log.level).child({ requestId: context?.awsRequestId })
  const dryRun = typeof event === 'object' && event !== null && (event as { dryRun?: unknown }).dryRun === true
  const report = reportJson(await syncOnce(config, log, { dryRun })) as { ok: boolean }
  log.info({ report }, 'rbacsync run finished')
  if (!report.ok) throw new Error(`rbacsync run reported problems: ${JSON.stringify(report)}`)
  return report
}
