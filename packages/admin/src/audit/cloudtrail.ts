// The user's AWS API calls from CloudTrail records (the format AWS documents in "CloudTrail
// record contents": eventVersion, userIdentity, eventTime, eventSource, eventName,
// awsRegion, errorCode, ...), one record per message as a trail delivers them to a
// CloudWatch Logs group. A call is his when its session's sourceIdentity is his name
// (the proxy sets it, and the per-user roles demand it); for a session without one, when
// the role session name (the ARN's last part) is his AND the role is one of his. The
// proxy's own AssumeRole for him (requestParameters.sourceIdentity) is his too: its
// access key is the one his calls carry. A session named after him under a role that is
// not his is left out and counted, because anyone can choose a session name.
import { type AwsEntry, isoTime, obj, str } from './entries.ts'
import { assumedRoleSession } from './assumed-role.ts'
import { skippedRecords, type JsonLine, type Warnings } from './log-files.ts'
import { quoted } from './log-group.ts'

export interface AwsResult {
  entries: AwsEntry[]
  foreign: Map<string, number> // ARN -> count of calls by a session named after him, not his
}

// The filter pattern that narrows a trail's group to records that may be his.
export const cloudTrailPattern = (user: string): string =>
  `{ ($.userIdentity.sessionContext.sourceIdentity = ${quoted(user)}) || ($.userIdentity.arn = ${quoted(`*/${user}`)}) || ($.requestParameters.sourceIdentity = ${quoted(user)}) }`

export async function awsEntries (lines: AsyncIterable<JsonLine>, user: string, roles: ReadonlySet<string>, warnings: Warnings): Promise<AwsResult> {
  const byId = new Map<string, AwsEntry>()
  const foreign = new Map<string, number>()
  const malformed = skippedRecords(warnings, 'aws (CloudTrail)', user, 'a CloudTrail record')
  for await (const { file, line, value } of lines) {
    const v = obj(value)
    const who = obj(v?.userIdentity)
    if (v === undefined || who === undefined) continue
    const context = obj(who.sessionContext)
    const sourceIdentity = str(context?.sourceIdentity)
    const callerArn = str(who.arn) ?? ''
    const params = obj(v.requestParameters)
    const issuance = str(params?.sourceIdentity) === user && str(v.eventName) === 'AssumeRole'
    const session = assumedRoleSession(callerArn)
    let his = issuance || sourceIdentity === user
    if (!his && sourceIdentity === undefined && session?.session === user) {
      if (roles.has(session.role)) his = true
      else foreign.set(callerArn, (foreign.get(callerArn) ?? 0) + 1)
    }
    if (!his) continue
    const time = isoTime(v.eventTime)
    const eventId = str(v.eventID)
    const eventName = str(v.eventName)
    const service = str(v.eventSource)
    const region = str(v.awsRegion)
    if (time === undefined || eventId === undefined || eventName === undefined || service === undefined || region === undefined) {
      malformed.add(file, line)
      continue
    }
    if (byId.has(eventId)) continue
    const response = obj(v.responseElements)
    // For his AssumeRole, the session and key it made; for his other calls, the caller's.
    const arn = issuance ? str(obj(response?.assumedRoleUser)?.arn) ?? callerArn : callerArn
    const key = issuance ? str(obj(response?.credentials)?.accessKeyId) : str(who.accessKeyId)
    byId.set(eventId, {
      kind: 'aws',
      time,
      origin: { file, line },
      eventId,
      eventName,
      service,
      region,
      errorCode: str(v.errorCode) ?? null,
      arn,
      sourceIdentity: issuance ? user : sourceIdentity ?? null,
      accessKeyIdSuffix: key === undefined ? null : key.slice(-4),
      sourceIp: str(v.sourceIPAddress) ?? null
    })
  }
  malformed.report()
  return { entries: [...byId.values()], foreign }
}
