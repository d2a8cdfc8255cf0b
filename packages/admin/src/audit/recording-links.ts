// Where `bastion audit` says a recording is: this host's local file while it is there, else,
// when bastion ship uploads recordings (ship.recordings.bucket), the S3 object it went
// to, s3://<bucket>/<prefix><host>/<user>/<file> (ship/recording-key.ts). The key is
// derived, not looked up: the link says where the recording is once it was shipped.
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname } from 'node:path'
import { recordingKey } from '../ship/recording-key.ts'
import type { AuditConfig } from './config.ts'
import type { Entry } from './entries.ts'

export function linkRecordings (entries: Entry[], config: Readonly<AuditConfig>, exists: (path: string) => boolean = existsSync, thisHost: string = hostname()): void {
  const bucket = config.ship.recordings.bucket
  if (bucket === undefined) return
  // This host's own log names it by its full name; bastion ship, by ship.host.
  const shipHost = config.ship.host ?? thisHost.split('.')[0] ?? thisHost
  for (const e of entries) {
    if (e.kind !== 'ssh' || e.recording === null) continue
    // Another host's recording is never the file at its path here, which is this host's.
    if ((e.host === thisHost || e.host === shipHost) && exists(e.recording)) continue
    const host = e.host === thisHost ? shipHost : e.host
    try {
      e.recordingUrl = `s3://${bucket}/${recordingKey(config.ship.recordings.prefix, host, basename(dirname(e.recording)), basename(e.recording))}`
    } catch {
      // Not a name bastion ship would upload: the local path is all there is to show.
    }
  }
}
