// Credentials the metadata proxy issued to the user's containers, from its audit file
// (metadataproxy.log.auditFile: pino JSON lines with audit "credential-issued"). The
// proxy writes only the access key id's last four characters, never a secret.
import { type CredentialEntry, isoTime, obj, str } from './entries.ts'
import { jsonLines, skippedRecords, type Warnings } from './log-files.ts'

export async function credentialEntries (file: string, user: string, warnings: Warnings): Promise<CredentialEntry[]> {
  const entries: CredentialEntry[] = []
  const seen = new Set<string>()
  const malformed = skippedRecords(warnings, 'credentials', user, 'a credential-issued record')
  for await (const { file: f, line, value } of jsonLines(file, user, warnings, 'credentials')) {
    const v = obj(value)
    if (v === undefined || v.audit !== 'credential-issued' || v.user !== user) continue
    const time = isoTime(v.time)
    const role = str(v.role)
    const container = str(v.container)
    const suffix = str(v.accessKeyIdSuffix)
    if (time === undefined || role === undefined || container === undefined || suffix === undefined) {
      malformed.add(f, line)
      continue
    }
    const key = `${time}/${container}/${suffix}`
    if (seen.has(key)) continue
    seen.add(key)
    entries.push({
      kind: 'credentials',
      time,
      origin: { file: f, line },
      role,
      container,
      containerId: str(v.containerId) ?? '',
      ip: str(v.ip) ?? '',
      // Four characters at most, whatever the line holds.
      accessKeyIdSuffix: suffix.slice(-4),
      expiration: str(v.expiration) ?? ''
    })
  }
  malformed.report()
  return entries
}
