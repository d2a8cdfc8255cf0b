// The bodies IMDS answers with, in AWS's documented shapes. Timestamps carry no
// milliseconds, as the real service's do (some SDKs parse them strictly).
import { createHash } from 'node:crypto'
import type { Credentials } from '../sts/sts-client.ts'

export function imdsTime (date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function credentialsBody (creds: Credentials): string {
  return JSON.stringify({
    Code: 'Success',
    LastUpdated: imdsTime(creds.obtainedAt),
    Type: 'AWS-HMAC',
    AccessKeyId: creds.accessKeyId,
    SecretAccessKey: creds.secretAccessKey,
    Token: creds.sessionToken,
    Expiration: imdsTime(creds.expiration)
  }, null, 2)
}

export function iamInfoBody (partition: string, accountId: string, roleName: string, now: Date): string {
  // A stable, made-up profile id: the container has no instance profile of its own.
  const id = 'AIPA' + createHash('sha256').update(`${accountId}/${roleName}`).digest('hex').slice(0, 17).toUpperCase()
  return JSON.stringify({
    Code: 'Success',
    LastUpdated: imdsTime(now),
    InstanceProfileArn: `arn:${partition}:iam::${accountId}:instance-profile/${roleName}`,
    InstanceProfileId: id
  }, null, 2)
}

export function errorBody (code: string, message: string, now: Date): string {
  return JSON.stringify({ Code: code, Message: message, LastUpdated: imdsTime(now) }, null, 2)
}
