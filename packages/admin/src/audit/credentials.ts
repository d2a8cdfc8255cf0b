// Credentials the metadata proxy issued to the user's containers, from its audit file
// (metadataproxy.log.auditFile: pino JSON lines with audit "credential-issued"). The
// proxy writes only the access key id's last four characters, never a secret.
import { hostname } from 'node:os'
import { type CredentialEntry, isoTime, obj, str } from './entries.ts'
import { jsonLines, skippedRecords, type JsonLine, type Warnings } from './log-files.ts'

// file and host as for sessionEntries.
export async function credentialEntries (file: string | AsyncIterable<JsonLine>, user: string, warnings: Warnings, host = hostname()): Promise<CredentialEntry[]> {
  const entries: CredentialEntry[] = []
  const seen = new Set<string>()
  const malformed = skippedRecords(warnings, 'credentials', user, 'a credential-issued record')
  for await (const { file: f, line, value, stream } of typeof file === 'string' ? jsonLines(file, user, warnings, 'credentials') : file) {
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
    const from = stream ?? host
    const key = `${from}/${time}/${container}/${suffix}`
    if (seen.has(key)) continue
    seen.add(key)
    entries.push({
      kind: 'credentials',
      time,
      origin: { file: f, line },
      host: from,
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
