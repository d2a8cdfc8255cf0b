// The recordings step of bastion ship's loop, as the command wires it when
// ship.recordings.bucket is set: the recordings shipper (recordings.ts) on S3 (the
// region's endpoint, or ship.endpoint, an emulator in tests, path-style), its log lines
// on stderr like the rest of the shipper's, and its pass as status.json's `recordings`.
import { join } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { RECORDINGS_INDEX, type ShipConfig, type ShipSettings } from './config.ts'
import { recordingsShipper } from './recordings.ts'
import { ACCESS_DENIED, s3RecordingStore } from './recording-store.ts'
import type { CallFailure, RecordingsStatus } from './status.ts'

type Log = (level: string) => (message: string) => void

export function recordingsStep (config: Readonly<ShipConfig>, settings: ShipSettings, bucket: string, log: Log): (signal: AbortSignal) => Promise<RecordingsStatus> {
  const s3 = new S3Client({ region: settings.region, ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint, forcePathStyle: true } : {}) })
  let error: CallFailure | null = null
  let uploaded = 0
  const shipper = recordingsShipper({
    recordingsDir: config.shell.audit.recordingsDir,
    sessionsLog: config.shell.audit.file,
    shellStateDir: config.shell.stateDir,
    prefix: config.ship.recordings.prefix,
    host: settings.host,
    stateDir: settings.stateDir,
    indexFile: join(settings.stateDir, RECORDINGS_INDEX),
    store: s3RecordingStore(s3, bucket, { prefix: config.ship.recordings.prefix }),
    log: (line) => {
      const { level, msg, ...rest } = line as { level?: string, msg?: string, err?: string, code?: string }
      // By S3's error name, never by the message's text (which names keys and paths).
      const denied = rest.code !== undefined && ACCESS_DENIED.has(rest.code)
      if (level === 'error') error = { code: denied ? 'AccessDenied' : 'UploadFailed', message: `${msg ?? ''}: ${rest.err ?? ''}`, at: new Date().toISOString() }
      log(level === 'error' || level === 'warn' ? 'warning: ' : '')(`recordings: ${msg ?? ''} ${JSON.stringify(rest)}`)
    }
  })
  return async (signal) => {
    const r = await shipper.run(signal)
    uploaded += r.uploaded
    if (r.uploaded > 0 && r.failed === 0) error = null
    return {
      bucket,
      uploaded,
      failed: r.failed,
      live: r.live,
      backlogFiles: r.backlog.files,
      backlogBytes: r.backlog.bytes,
      oldestUnshipped: r.backlog.oldestMs === null ? null : new Date(r.backlog.oldestMs).toISOString(),
      error
    }
  }
}
